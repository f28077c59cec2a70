import { describe, expect, it } from 'vitest';
import type { MeshRecord } from '../local/mesh-state.ts';
import { localIstiodAddress } from './istiod-address.ts';

const mesh = (id: string, gateway?: string): MeshRecord => ({ id, configDir: '/manifests', runner: { pid: 1, startTime: null }, gateway, pods: [], processes: [] });

describe('localIstiodAddress', () => {
  it("is the one running mesh's bridge address, port 8080", () => {
    expect(localIstiodAddress([mesh('a', '10.244.3.1'), mesh('starting')])).toBe('10.244.3.1:8080');
  });

  it('asks for --mesh when several run, and takes the one named', () => {
    const meshes = [mesh('a', '10.244.3.1'), mesh('b', '10.244.4.1')];
    expect(() => localIstiodAddress(meshes)).toThrow('several local meshes are running (a, b): choose one with --mesh ID');
    expect(localIstiodAddress(meshes, 'b')).toBe('10.244.4.1:8080');
    expect(() => localIstiodAddress(meshes, 'c')).toThrow('mesh c: not running (running: a, b)');
  });

  it('says how to go on when no mesh runs', () => {
    expect(() => localIstiodAddress([])).toThrow('no local mesh is running');
  });
});
