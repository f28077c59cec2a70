import type { LoadedObject } from '../analysis-message.ts';
import { loadText } from '../load-files.ts';

/** Small YAML fixtures for the analyzer tests, loaded as the command loads files. */
export function load(yaml: string): LoadedObject[] {
  const { objects, messages } = loadText(yaml, 'fixture.yaml');
  if (messages.length > 0) throw new Error(messages.map((m) => m.text).join('\n'));
  return objects;
}

export const reviewsService = `
apiVersion: v1
kind: Service
metadata: { name: reviews }
spec:
  selector: { app: reviews }
  ports: [{ name: http, port: 9080 }]
`;

export const reviewsDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v1 }
spec:
  selector: { matchLabels: { app: reviews, version: v1 } }
  template:
    metadata: { labels: { app: reviews, version: v1 } }
    spec: { containers: [{ name: reviews }] }
`;

export function virtualService(name: string, destination: string, extra = ''): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: [${name}]
${extra}
  http:
    - route:
        - destination: ${destination}
`;
}

export function destinationRule(host: string, subsets: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${host} }
spec:
  host: ${host}
  subsets: ${subsets}
`;
}

export function documents(...texts: string[]): string {
  return texts.join('\n---\n');
}
