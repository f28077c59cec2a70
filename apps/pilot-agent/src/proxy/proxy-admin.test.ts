import { describe, expect, it } from 'vitest';
import { sumActiveConnections } from './proxy-admin.ts';

describe('sumActiveConnections', () => {
  it('adds every downstream_cx_active but the admin’s', () => {
    const text = [
      'listener.0.0.0.0_15006.downstream_cx_active: 2',
      'http.inbound_0.0.0.0_9080.downstream_cx_active: 3',
      'http.admin.downstream_cx_active: 1',
      'listener.0.0.0.0_15006.downstream_cx_total: 40',
      'garbage line',
      '',
    ].join('\n');
    expect(sumActiveConnections(text)).toBe(5);
  });
});
