import { describe, expect, it } from 'vitest';
import { MetricRegistry } from './metric-registry.ts';

describe('MetricRegistry', () => {
  it('writes counters per label set, in Prometheus text format', () => {
    const registry = new MetricRegistry();
    const pushes = registry.counter('pilot_xds_pushes', 'Pushes.');
    pushes.inc({ type: 'cds' });
    pushes.inc({ type: 'cds' });
    pushes.inc({ type: 'eds' }, 3);
    expect(registry.text()).toBe(['# HELP pilot_xds_pushes Pushes.', '# TYPE pilot_xds_pushes counter', 'pilot_xds_pushes{type="cds"} 2', 'pilot_xds_pushes{type="eds"} 3', ''].join('\n'));
  });

  it('writes histograms with cumulative buckets, +Inf, sum and count', () => {
    const registry = new MetricRegistry();
    const time = registry.histogram('push_time', 'Time.', [1, 0.1]);
    for (const value of [0.05, 0.5, 0.5, 7]) time.observe(value);
    expect(registry.text()).toBe(
      [
        '# HELP push_time Time.',
        '# TYPE push_time histogram',
        'push_time_bucket{le="0.1"} 1',
        'push_time_bucket{le="1"} 3',
        'push_time_bucket{le="+Inf"} 4',
        'push_time_sum 8.05',
        'push_time_count 4',
        '',
      ].join('\n'),
    );
  });

  it('counts a value equal to a bound in that bucket', () => {
    const registry = new MetricRegistry();
    registry.histogram('h', 'H.', [1]).observe(1, { type: 'lds' });
    expect(registry.text()).toContain('h_bucket{type="lds",le="1"} 1');
  });

  it('reads gauges when scraped', () => {
    const registry = new MetricRegistry();
    let connected = 1;
    registry.gauge('pilot_xds', 'Connected.', () => [{ value: connected }]);
    expect(registry.text()).toContain('\npilot_xds 1\n');
    connected = 0;
    expect(registry.text()).toContain('\npilot_xds 0\n');
  });

  it('escapes label values and help text', () => {
    const registry = new MetricRegistry();
    registry.counter('c', 'a \\ b\nc').inc({ type: 'say "hi"\\\n' });
    expect(registry.text()).toBe(['# HELP c a \\\\ b\\nc', '# TYPE c counter', 'c{type="say \\"hi\\"\\\\\\n"} 1', ''].join('\n'));
  });

  it('refuses a metric name registered twice', () => {
    const registry = new MetricRegistry();
    registry.counter('c', 'C.');
    expect(() => registry.gauge('c', 'C.', () => [])).toThrow('metric c is registered twice');
  });
});
