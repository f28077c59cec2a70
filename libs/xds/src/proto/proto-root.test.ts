import { describe, expect, it } from 'vitest';
import { XdsError } from '../xds-error.ts';
import { lookupMessage, protoRoot, releaseProtoRoot, typeNameOf } from './proto-root.ts';

describe('proto root', () => {
  it('has the resource, filter, discovery and admin types loaded up front', () => {
    const root = protoRoot();
    for (const name of [
      'envoy.config.bootstrap.v3.Bootstrap',
      'envoy.config.listener.v3.Listener',
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
      'envoy.extensions.transport_sockets.tls.v3.Secret',
      'envoy.service.discovery.v3.DiscoveryResponse',
      'envoy.admin.v3.ListenersConfigDump',
      'google.protobuf.Struct',
    ]) {
      expect(root.lookupType(name).fullName).toBe(`.${name}`);
    }
    expect(root.lookupService('envoy.service.discovery.v3.AggregatedDiscoveryService').methods.StreamAggregatedResources).toBeDefined();
  });

  it('loads the Root again after it was let go', () => {
    const before = protoRoot();
    const cluster = lookupMessage('envoy.config.cluster.v3.Cluster');
    releaseProtoRoot();
    const after = protoRoot();
    // Compared by identity: a failed toBe would walk both Roots to explain the difference.
    expect(after === before).toBe(false);
    const again = lookupMessage('envoy.config.cluster.v3.Cluster');
    expect(again === cluster).toBe(false);
    expect(again.root === after).toBe(true);
  });

  it('keeps proto field names', () => {
    expect(Object.keys(lookupMessage('envoy.config.core.v3.SocketAddress').fields)).toContain('port_value');
  });

  it('accepts type URLs and nested type names', () => {
    expect(typeNameOf('type.googleapis.com/envoy.config.cluster.v3.Cluster')).toBe('envoy.config.cluster.v3.Cluster');
    expect(lookupMessage('type.googleapis.com/envoy.config.cluster.v3.Cluster.CommonLbConfig').name).toBe('CommonLbConfig');
  });

  it('survives a package whose imports are missing, and still loads others later', () => {
    // envoy/service/trace/v2 imports opencensus protos that the trees do not ship.
    expect(() => lookupMessage('envoy.service.trace.v2.StreamTracesMessage')).toThrow(XdsError);
    expect(() => lookupMessage('envoy.service.trace.v2.StreamTracesMessage')).toThrow('unknown message type');
    expect(lookupMessage('envoy.extensions.filters.http.rbac.v3.RBAC').name).toBe('RBAC');
    expect(lookupMessage('envoy.config.listener.v3.Listener').fields.filter_chains).toBeDefined();
  });

  it('does not look outside the proto trees for odd names', () => {
    expect(() => lookupMessage('type.googleapis.com/../../etc/passwd')).toThrow('unknown message type');
  });
});
