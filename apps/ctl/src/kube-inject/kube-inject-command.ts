import { readFile, writeFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { defaultInjectionSettings, settingsFromInjectionValues, settingsFromMeshConfig, type InjectionSettings } from '@mizzen/inject';
import { Command } from 'commander';
import type { Output } from '../local/local-command.ts';
import { injectManifests } from './inject-manifests.ts';

interface KubeInjectFlags {
  filename: string;
  output?: string;
  meshConfigFile?: string;
  injectConfigFile?: string;
  revision: string;
}

/** `mizzenctl kube-inject`: istioctl's offline injection, with the same injector istiod and
 *  the local runner use. */
export function kubeInjectCommand(output: Output, stdin: NodeJS.ReadableStream = process.stdin): Command {
  return new Command('kube-inject')
    .description('Inject the sidecar into the Kubernetes workloads of a YAML file (Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, ...)')
    .requiredOption('-f, --filename <file>', 'the input YAML, or - for standard input')
    .option('-o, --output <file>', 'write the injected YAML here instead of standard output')
    .option('--meshConfigFile <file>', "the mesh config (Istio's MeshConfig YAML, or the istio ConfigMap) whose defaultConfig the sidecars get")
    .option('--injectConfigFile <file>', "the injector's values (the istio-sidecar-injector ConfigMap, or its values): proxy image, holdApplicationUntilProxyStarts")
    .option('--revision <revision>', 'the control plane revision to inject for', 'default')
    .addHelpText('after', '\nExit codes: 0 done, 1 an input that cannot be read or injected, 2 a bad flag.')
    .action(async (flags: KubeInjectFlags) => {
      const source = flags.filename === '-' ? 'standard input' : flags.filename;
      const text = flags.filename === '-' ? await readStream(stdin) : await readText(flags.filename);
      let settings: InjectionSettings = { ...defaultInjectionSettings(), revision: flags.revision };
      if (flags.injectConfigFile) settings = settingsFromInjectionValues(await readText(flags.injectConfigFile), flags.injectConfigFile, settings);
      if (flags.meshConfigFile) settings = settingsFromMeshConfig(await readText(flags.meshConfigFile), flags.meshConfigFile, settings);
      const result = injectManifests(text, settings, source);
      for (const line of result.skipped) output.err(`${line}\n`);
      if (flags.output) await writeFile(flags.output, result.text);
      else output.out(result.text);
    });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}
