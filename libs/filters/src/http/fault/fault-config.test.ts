import { describe, expect, it } from 'vitest';
import { compileFaultConfig } from './fault-config.ts';

describe('compileFaultConfig', () => {
  it('reads delays and aborts with their shares', () => {
    const config = compileFaultConfig({
      delay: { fixed_delay: '1.5s', percentage: { numerator: 25, denominator: 'TEN_THOUSAND' } },
      abort: { http_status: 503, percentage: { numerator: 10 } },
      max_active_faults: 3,
    }, 'f');
    expect(config).toEqual({ delay: { ms: 1500, share: 0.0025 }, abort: { status: 503, grpcStatus: undefined, share: 0.1 }, maxActive: 3 });
  });

  it('applies to no request without a percentage, as Envoy', () => {
    expect(compileFaultConfig({ abort: { grpc_status: 14 } }, 'f').abort?.share).toBe(0);
  });

  it('names what it cannot do', () => {
    expect(() => compileFaultConfig({ abort: { header_abort: {} } }, 'f')).toThrow('f.abort.header_abort: not supported by this proxy');
    expect(() => compileFaultConfig({ abort: { http_status: 503, grpc_status: 2 } }, 'f')).toThrow(/f.abort: exactly one of/);
    expect(() => compileFaultConfig({ delay: { percentage: { numerator: 1 } } }, 'f')).toThrow(/f.delay.fixed_delay: required/);
    expect(() => compileFaultConfig({ response_rate_limit: {} }, 'f')).toThrow('f.response_rate_limit: not supported by this proxy');
  });
});
