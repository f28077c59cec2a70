import packageJson from '../../package.json' with { type: 'json' };

/** istiod's build, as Istio's `/version` gives it (its BuildInfo's JSON names), so that
 *  `mizzenctl version` can print the control plane's version beside the client's. */
export function version(): { version: string; revision: string; node_version: string; status: string; tag: string } {
  return { version: packageJson.version, revision: 'default', node_version: process.version, status: 'Clean', tag: packageJson.version };
}
