// One lint config for the whole workspace. The module-boundary rule is the architecture's
// dependency rule: apps import libs, never other apps; libs never import apps.
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:sample', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
      // Apps publish no modules: importing one by its package name is the same breach as a
      // relative path into it, which the rule above already refuses.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@mizzen/(istiod|proxy|pilot-agent|iptables-init|ctl)(/|$)',
              message: 'Apps never import other apps; move what is shared into a lib under libs/.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A benchmark measures an app from the inside (istiod's discovery server without its gRPC
    // front, say), so it may reach into apps' sources, which nothing shipped may do.
    files: ['bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
