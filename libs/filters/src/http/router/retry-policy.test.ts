import { describe, expect, it } from 'vitest';
import { compileRetryPolicy, retriableResponse } from './retry-policy.ts';

const policy = (retryOn: string, extra: object = {}) => compileRetryPolicy({ retry_on: retryOn, ...extra }, 'retry_policy');

describe('retry policy', () => {
  it('retries a connection failure under each condition that covers it, reset-before-request among them', () => {
    for (const on of ['connect-failure', 'reset-before-request', 'reset', '5xx', 'gateway-error']) expect(policy(on).onConnectFailure, on).toBe(true);
    // A reset after the request went upstream is not "before the request".
    expect(policy('reset-before-request')).toMatchObject({ onReset: false, onRefusedStream: false });
    expect(policy('retriable-4xx').onConnectFailure).toBe(false);
  });

  it('retries 409 under retriable-4xx, and no other 4xx', () => {
    const p = policy('retriable-4xx');
    expect([400, 404, 409, 429, 503].map((s) => retriableResponse(p, s, []))).toEqual([false, false, true, false, false]);
  });

  it('retries a response marked x-envoy-ratelimited under envoy-ratelimited, whatever its status', () => {
    const p = policy('envoy-ratelimited');
    expect(retriableResponse(p, 429, ['x-envoy-ratelimited', 'true'])).toBe(true);
    expect(retriableResponse(p, 200, ['x-envoy-ratelimited', 'true'])).toBe(true);
    expect(retriableResponse(p, 429, [])).toBe(false);
  });

  it('accepts http3-post-connect-failure, which cannot happen without HTTP/3 upstreams', () => {
    const p = policy('http3-post-connect-failure');
    expect(p).toMatchObject({ onConnectFailure: false, onReset: false, on5xx: false });
    expect(retriableResponse(p, 503, [])).toBe(false);
  });

  it('takes every condition Istio writes by default, with gRPC statuses', () => {
    const p = policy('connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', { retriable_status_codes: [503] });
    expect(retriableResponse(p, 503, [])).toBe(true);
    expect(retriableResponse(p, 200, ['grpc-status', '14'])).toBe(true);
    expect(retriableResponse(p, 200, ['grpc-status', '0'])).toBe(false);
  });

  it('refuses, by name, a condition the router does not implement', () => {
    expect(() => policy('5xx,retriable-headers')).toThrow('retry_policy.retry_on: "retriable-headers" is not supported');
    expect(() => policy('sometimes')).toThrow('"sometimes" is not supported');
  });

  it('takes retry_priority previous_priorities with its update frequency, and names what it cannot take', () => {
    const typed = (extra: object) => ({ retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', ...extra } } });
    expect(policy('5xx', typed({ update_frequency: 2 })).previousPrioritiesEvery).toBe(2);
    expect(policy('5xx').previousPrioritiesEvery).toBe(0);
    expect(() => policy('5xx', typed({}))).toThrow('retry_policy.retry_priority.typed_config.update_frequency: required');
    expect(() => policy('5xx', { retry_priority: { name: 'other', typed_config: { '@type': 'type.googleapis.com/x.Other' } } })).toThrow('retry_policy.retry_priority.typed_config: unsupported retry priority');
  });
});

