export { NetError, assertRoot, type CommandOutput } from './ip-command.ts';
export { createBridge, deleteLink, linkExists, parseCidr } from './link.ts';
export { createNetns, deleteNetns, listNetns, spawnInNetns, execInNetns } from './netns.ts';
export { createPodNetwork, deletePodNetwork, hostVethName, type PodNetworkOptions } from './pod-network.ts';
export { chooseMeshSubnet, createMeshBridge, meshSubnet, podAddress, pickFreeOctet, usedMeshOctets, type MeshSubnet } from './mesh-subnet.ts';
export { originalDestination, socketMark, type OriginalDestination } from './original-destination.ts';
export { listenTransparent, setTransparent } from './transparent-listener.ts';
export { socketFd } from './socket-fd.ts';
export { preloadNativeAddon } from './native-addon.ts';
