import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const reviews = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: { exact: jason }
    route:
    - destination: { host: reviews, subset: v2 }
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: 50
    - destination: { host: reviews, subset: v3 }
      weight: 50
`;

function errorOf(text: string): string {
  const { objects, errors } = loadDocuments(text, 'vs.yaml');
  expect(objects).toEqual([]);
  return errors[0].message;
}

describe('VirtualService validation', () => {
  it.each(['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'])('accepts Bookinfo routing under %s', (apiVersion) => {
    const { objects, errors } = loadDocuments(reviews.replace('networking.istio.io/v1', apiVersion), 'vs.yaml');
    expect(errors).toEqual([]);
    expect(objects[0]).toMatchObject({ kind: 'VirtualService', metadata: { namespace: 'default' }, spec: { hosts: ['reviews'] } });
  });

  it('accepts the fields of a full HTTP route', () => {
    const full = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings, namespace: shop }
spec:
  hosts: [ratings.shop.svc.cluster.local, "*.example.com"]
  gateways: [mesh]
  exportTo: ["."]
  http:
  - name: jason
    match:
    - uri: { prefix: /ratings }
      method: { exact: GET }
      queryParams: { debug: { regex: "^(1|true)$" } }
      withoutHeaders: { x-skip: {} }
      port: 9080
      ignoreUriCase: true
    rewrite: { uri: /v2/ratings, authority: ratings-v2 }
    route:
    - destination: { host: ratings, subset: v1, port: { number: 9080 } }
      headers: { request: { set: { x-v: "1" } } }
    timeout: 1.5s
    retries: { attempts: 3, perTryTimeout: 500ms, retryOn: "gateway-error,connect-failure,503", retryIgnorePreviousHosts: false, backoff: 25ms }
    fault:
      delay: { fixedDelay: 7s, percentage: { value: 100 } }
      abort: { httpStatus: 500, percentage: { value: 12.5 } }
    mirror: { host: ratings, subset: v2 }
    mirrorPercentage: { value: 10 }
    headers: { response: { remove: [x-internal] } }
    corsPolicy: { allowOrigins: [{ exact: "https://example.com" }], allowMethods: [GET], maxAge: 24h }
  - redirect: { uri: /new, authority: example.com, redirectCode: 308 }
  tcp:
  - route: [{ destination: { host: mongodb } }]
`;
    expect(loadDocuments(full, 'vs.yaml').errors).toEqual([]);
  });

  it.each([
    ['a wrong apiVersion', reviews.replace('networking.istio.io/v1', 'networking.istio.io/v2'), 'apiVersion: VirtualService must be one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3, got "networking.istio.io/v2"'],
    ['no hosts', reviews.replace('hosts: [reviews]', 'hosts: []'), 'spec.hosts: required: at least one host'],
    ['no routes', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: r }\nspec: { hosts: [r] }\n', 'spec: needs at least one http, tcp or tls route'],
    ['a route without destination', reviews.replace('    route:\n    - destination: { host: reviews, subset: v2 }\n', ''), 'spec.http[0]: needs a route (with at least one destination), a redirect, a directResponse or a delegate'],
    ['a destination without host', reviews.replace('{ host: reviews, subset: v2 }', '{ subset: v2 }'), 'spec.http[0].route[0].destination.host: required'],
    ['weights not adding up to 100', reviews.replace('weight: 50\n    - destination: { host: reviews, subset: v3 }', 'weight: 60\n    - destination: { host: reviews, subset: v3 }'), 'spec.http[1].route: the weights of the destinations must add up to 100, got 110'],
    ['a bad regex', reviews.replace('{ exact: jason }', '{ regex: "ja(son" }'), 'spec.http[0].match[0].headers.end-user.regex: not a valid regular expression'],
    ['a lookahead, which RE2 lacks', reviews.replace('{ exact: jason }', '{ regex: "(?!bob)" }'), 'not a valid RE2 regular expression'],
    ['two kinds of string match', reviews.replace('{ exact: jason }', '{ exact: jason, prefix: j }'), 'spec.http[0].match[0].headers.end-user: only one of exact, prefix, regex may be set, got exact and prefix'],
    ['an unknown match field', reviews.replace('    - headers:', '    - header:'), 'spec.http[0].match[0].header: unknown field (known: name, uri,'],
    ['an unknown route field', reviews.replace('  - route:\n', '  - routes: []\n    route:\n'), 'spec.http[1].routes: unknown field'],
    ['an uppercase header name', reviews.replace('end-user:', 'End-User:'), 'spec.http[0].match[0].headers.End-User: header names must be lowercase'],
    ['a bad timeout', reviews.replace('  - route:\n', '  - timeout: soon\n    route:\n'), 'spec.http[1].timeout: must be a duration such as "1.5s", "100ms" or "1m", got "soon"'],
    ['a bad retry condition', reviews.replace('  - route:\n', '  - retries: { attempts: 2, retryOn: "5xx,sometimes" }\n    route:\n'), 'spec.http[1].retries.retryOn: unknown retry condition "sometimes"'],
    ['a destination subnet that is no address', reviews.replace('  http:\n', '  tcp:\n  - match: [{ destinationSubnets: [10.0.0.0/33] }]\n    route: [{ destination: { host: mongodb } }]\n  http:\n'), 'spec.tcp[0].match[0].destinationSubnets[0]: bad CIDR range (10.0.0.0/33)'],
    ['a retry back-off under 1ms', reviews.replace('  - route:\n', '  - retries: { attempts: 2, backoff: 100us }\n    route:\n'), 'spec.http[1].retries.backoff: must be at least 1ms, got "100us"'],
    ['an abort status out of range', reviews.replace('  - route:\n', '  - fault: { abort: { httpStatus: 700 } }\n    route:\n'), 'spec.http[1].fault.abort.httpStatus: must be an integer between 200 and 599, got 700'],
    ['a fault percentage above 100', reviews.replace('  - route:\n', '  - fault: { delay: { fixedDelay: 1s, percentage: { value: 101 } } }\n    route:\n'), 'spec.http[1].fault.delay.percentage.value: must be a number between 0 and 100, got 101'],
    ['a delay without duration', reviews.replace('  - route:\n', '  - fault: { delay: { percentage: { value: 1 } } }\n    route:\n'), 'spec.http[1].fault.delay: one of fixedDelay, exponentialDelay is required'],
    ['route and redirect together', reviews.replace('  - route:\n', '  - redirect: { uri: /x }\n    route:\n'), 'spec.http[1]: only one of route, redirect, directResponse and delegate may be set, got route and redirect'],
    ['a bad redirect code', reviews.replace('    route:\n    - destination: { host: reviews, subset: v2 }\n', '    redirect: { uri: /x, redirectCode: 200 }\n'), 'spec.http[0].redirect.redirectCode: must be one of 301, 302, 303, 307, 308, got 200'],
    ['a port out of range', reviews.replace('{ host: reviews, subset: v2 }', '{ host: reviews, port: { number: 0 } }'), 'spec.http[0].route[0].destination.port.number: must be an integer between 1 and 65535, got 0'],
    ['a bad host', reviews.replace('hosts: [reviews]', 'hosts: ["re views"]'), 'spec.hosts[0]: must be a host name'],
    ['"*" among other exportTo entries', reviews.replace('hosts: [reviews]', 'hosts: [reviews]\n  exportTo: ["*", "."]'), 'spec.exportTo: "*" must be the only entry'],
    ['a TCP route without destination', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: m }\nspec: { hosts: [m], tcp: [{ match: [{ port: 1 }] }] }\n', 'spec.tcp[0].route: required'],
  ])('rejects %s', (_what, text, expected) => {
    const message = errorOf(text);
    expect(message).toContain(expected);
    expect(message).toMatch(/^vs\.yaml \(document 1\): VirtualService default\/\w+: /);
  });
});
