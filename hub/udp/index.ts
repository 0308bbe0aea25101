/** UDP toxic proxy: Toxiproxy's API and toxics for datagrams (Iroh/QUIC links of the chaos hub). */
export { type AdminServer, startAdminServer, UDP_PROXY_VERSION } from './admin-server.ts';
export { ApiError } from './api-error.ts';
export {
  type ActiveToxic,
  activateToxic,
  type DropReason,
  decideFate,
  type Fate,
  type FlowState,
  newFlowState,
} from './datagram-fate.ts';
export {
  type DirectionCounters,
  type LinkCounters,
  type LinkProxyConfig,
  type LinkProxyJson,
  UdpLinkProxy,
} from './link-proxy.ts';
export { UdpProxyCollection } from './proxy-collection.ts';
export { createProxyMetrics } from './proxy-metrics.ts';
export {
  parseUdpToxic,
  TCP_ONLY_TOXIC_TYPES,
  TOXIC_STREAMS,
  ToxicSpecError,
  type ToxicStream,
  UDP_TOXIC_TYPES,
  type UdpToxic,
  type UdpToxicType,
  udpToxicAttributes,
} from './toxic-spec.ts';
export { startUdpToxicProxy, type UdpToxicProxy, type UdpToxicProxyOptions } from './udp-toxic-proxy.ts';
