export { NetError, assertRoot, type CommandOutput } from './ip-command.ts';
export { createBridge, deleteLink, linkExists, parseCidr } from './link.ts';
export { createNetns, deleteNetns, listNetns, spawnInNetns, execInNetns } from './netns.ts';
export { createPodNetwork, deletePodNetwork, hostVethName, type PodNetworkOptions } from './pod-network.ts';
export { chooseMeshSubnet, createMeshBridge, meshSubnet, podAddress, pickFreeOctet, usedMeshOctets, type MeshSubnet } from './mesh-subnet.ts';
