import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLoadBalancer } from './load-balancer.ts';
import { PickPlan, type PlanOptions, type PriorityHosts } from './pick-plan.ts';
import { Host } from './upstream-host.ts';

const options: PlanOptions = { overprovisioning: 140, panicThreshold: 50, localityWeighted: false };
const hosts = (n: number, from = 1) => Array.from({ length: n }, (_, i) => new Host(`10.0.0.${from + i}`, 80));
const eject = (...list: Host[]) => list.forEach((h) => (h.ejectedUntil = 1));
const level = (priority: number, ...localities: { weight: number; hosts: Host[] }[]): PriorityHosts =>
  ({ priority, hosts: localities.flatMap((l) => l.hosts), localities });

/** A plan whose balancers are round robin, one per key as the cluster keeps them. */
function plan(levels: PriorityHosts[], extra: Partial<PlanOptions> = {}): PickPlan {
  const balancers = new Map<string, ReturnType<typeof createLoadBalancer>>();
  return new PickPlan(levels, { ...options, ...extra }, (key) => balancers.get(key) ?? balancers.set(key, createLoadBalancer('ROUND_ROBIN', 0)).get(key)!);
}
const picks = (p: PickPlan, n: number, hashKey?: number) => Array.from({ length: n }, () => p.pick({ hashKey } as never)?.address);

afterEach(() => vi.restoreAllMocks());

describe('pick plan', () => {
  it('leaves an ejected host out while its priority is healthy enough', () => {
    const [a, b] = hosts(2);
    eject(b);
    expect(picks(plan([level(0, { weight: 0, hosts: [a, b] })]), 3)).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.1']);
  });

  it('uses every host of a priority in panic (one of three usable, nothing to spill to)', () => {
    const [a, b, c] = hosts(3);
    eject(a, b);
    expect(picks(plan([level(0, { weight: 0, hosts: [a, b, c] })]), 3).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('has nothing to pick without hosts', () => {
    expect(plan([]).pick({} as never)).toBeUndefined();
  });

  it('keeps a hashed request on one priority by its key (70% P0, 30% P1)', () => {
    const [a, b] = hosts(2);
    const [c] = hosts(1, 3);
    eject(b);
    const p = plan([level(0, { weight: 0, hosts: [a, b] }), level(1, { weight: 0, hosts: [c] })]);
    expect(picks(p, 2, 69)).toEqual(['10.0.0.1', '10.0.0.1']);
    expect(picks(p, 2, 170)).toEqual(['10.0.0.3', '10.0.0.3']);
  });

  it('weighs localities by weight x health: half of one ejected makes 70 to 100', () => {
    const [a, b] = hosts(2);
    const [c] = hosts(1, 3);
    eject(b);
    const p = plan([level(0, { weight: 1, hosts: [a, b] }, { weight: 1, hosts: [c] })], { localityWeighted: true });
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(69.9 / 170);
    expect(p.pick({} as never)?.address).toBe('10.0.0.1');
    random.mockReturnValue(70.1 / 170);
    expect(p.pick({} as never)?.address).toBe('10.0.0.3');
  });

  it('falls back to the whole priority when no locality has a weight', () => {
    const [a, b] = hosts(2);
    const p = plan([level(0, { weight: 0, hosts: [a] }, { weight: 0, hosts: [b] })], { localityWeighted: true });
    expect(picks(p, 2)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
