import { describe, expect, it } from 'vitest';
import { compileCluster, compileLoadAssignment } from './cluster-config.ts';
import { health, priorityLoad } from './priority-load.ts';

/** Levels from usable percents of 100 hosts each. */
const levels = (...usable: number[]) => usable.map((u) => ({ usable: u, total: 100 }));

describe('priority load', () => {
  it('puts everything on a healthy best priority', () => {
    expect(priorityLoad(levels(100, 100))).toEqual({ loads: [100, 0], panic: [false, false] });
  });

  it('keeps all load on P0 while overprovisioning covers its losses (72% x 1.4 >= 100%)', () => {
    expect(priorityLoad(levels(72, 100)).loads).toEqual([100, 0]);
    expect(priorityLoad(levels(71, 100)).loads).toEqual([99, 1]);
  });

  it('spills the rest of P0 health to P1 and P2 (Envoy docs examples)', () => {
    expect(priorityLoad(levels(50, 100)).loads).toEqual([70, 30]);
    expect(priorityLoad(levels(25, 100)).loads).toEqual([35, 65]);
    expect(priorityLoad(levels(25, 25, 100)).loads).toEqual([35, 35, 30]);
    expect(priorityLoad(levels(0, 0, 100)).loads).toEqual([0, 0, 100]);
  });

  it('normalises when the levels together are below 100%', () => {
    // 35% + 35% of 70% available: half each.
    expect(priorityLoad(levels(25, 25))).toEqual({ loads: [50, 50], panic: [true, true] });
    // 28% each of 84%: 33 each, the rounding rest to P0.
    expect(priorityLoad(levels(20, 20, 20)).loads).toEqual([34, 33, 33]);
  });

  it('panics a level only when the total is short and the level is under the threshold', () => {
    expect(priorityLoad(levels(40, 100)).panic).toEqual([false, false]);
    expect(priorityLoad(levels(40, 20)).panic).toEqual([true, true]);
    expect(priorityLoad(levels(60, 0)).panic).toEqual([false, true]);
    expect(priorityLoad(levels(40, 20), 140, 0).panic).toEqual([false, false]);
  });

  it('sends everything to P0, in panic, when nothing is usable', () => {
    expect(priorityLoad(levels(0, 0))).toEqual({ loads: [100, 0], panic: [true, true] });
  });

  it('honours the overprovisioning factor and host weights', () => {
    expect(priorityLoad(levels(50, 100), 100).loads).toEqual([50, 50]);
    expect(priorityLoad([{ usable: 3, total: 4 }, { usable: 1, total: 1 }], 100).loads).toEqual([75, 25]);
    expect(health(1, 3, 140)).toBe(46);
    expect(health(5, 0, 140)).toBe(0);
  });
});

describe('load assignment policy and locality settings', () => {
  const endpoint = { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 80 } } } };
  const cla = (extra: object) => ({ cluster_name: 'c', endpoints: [{ load_balancing_weight: 3, lb_endpoints: [endpoint] }], ...extra });

  it('takes policy.overprovisioning_factor and the locality weight onto each endpoint', () => {
    const [e] = compileLoadAssignment(cla({ policy: { overprovisioning_factor: 200 } })).endpoints;
    expect(e).toMatchObject({ overprovisioning: 200, locality: 0, localityWeight: 3 });
    expect(compileLoadAssignment(cla({})).endpoints[0].overprovisioning).toBe(140);
  });

  it('refuses drop_overloads by name', () => {
    expect(() => compileLoadAssignment(cla({ policy: { drop_overloads: [{ category: 'x', drop_percentage: { numerator: 1 } }] } })))
      .toThrow(/ClusterLoadAssignment\.policy\.drop_overloads.*not supported/);
  });

  it('reads locality_weighted_lb_config beside the panic threshold', () => {
    expect(compileCluster({ name: 'c', common_lb_config: { locality_weighted_lb_config: {} } })).toMatchObject({ localityWeighted: true, panicThreshold: 50 });
    expect(compileCluster({ name: 'c', common_lb_config: { healthy_panic_threshold: { value: 20 } } })).toMatchObject({ localityWeighted: false, panicThreshold: 20 });
  });
});
