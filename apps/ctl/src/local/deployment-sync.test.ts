import { describe, expect, it } from 'vitest';
import type { Deployment } from '@mizzen/config';
import { planRollout, type RunningPod } from './deployment-sync.ts';
import { podTemplateHash } from './pod-naming.ts';

function deployment(name: string, replicas: number | undefined, image = 'v1', namespace?: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image, command: ['node', `${name}.ts`] }] } } },
  } as Deployment;
}

const hashOf = (d: Deployment): string => podTemplateHash(d.spec.template);
const pod = (name: string, d: Deployment): RunningPod => ({ name, namespace: d.metadata.namespace ?? 'default', deployment: d.metadata.name, hash: hashOf(d) });

describe('following the Deployments of the folder', () => {
  it('changes nothing when the pods match', () => {
    const web = deployment('web', 2);
    expect(planRollout([pod('web-a', web), pod('web-b', web)], [web])).toEqual({ create: [], remove: [] });
  });

  it('starts the pods of a new Deployment (one when replicas is left out) and removes those of a removed one', () => {
    const web = deployment('web', 1);
    const api = deployment('api', undefined);
    expect(planRollout([pod('web-a', web)], [api])).toEqual({ create: [{ deployment: api, count: 1 }], remove: ['web-a'] });
  });

  it('scales up and down, removing the newest pods first', () => {
    const web = deployment('web', 3);
    expect(planRollout([pod('web-a', web)], [web])).toEqual({ create: [{ deployment: web, count: 2 }], remove: [] });
    const one = deployment('web', 1);
    expect(planRollout([pod('web-a', web), pod('web-b', web), pod('web-c', web)], [one])).toEqual({ create: [], remove: ['web-b', 'web-c'] });
    expect(planRollout([pod('web-a', web)], [deployment('web', 0)])).toEqual({ create: [], remove: ['web-a'] });
  });

  it('replaces every pod of a changed template with pods of the new one', () => {
    const before = deployment('web', 2, 'v1');
    const after = deployment('web', 2, 'v2');
    expect(hashOf(after)).not.toBe(hashOf(before));
    expect(planRollout([pod('web-a', before), pod('web-b', before)], [after])).toEqual({ create: [{ deployment: after, count: 2 }], remove: ['web-a', 'web-b'] });
  });

  it('tells Deployments of the same name apart by namespace', () => {
    const prod = deployment('web', 1, 'v1', 'prod');
    const dev = deployment('web', 1, 'v1', 'dev');
    expect(planRollout([pod('web-a', prod)], [dev])).toEqual({ create: [{ deployment: dev, count: 1 }], remove: ['web-a'] });
  });
});
