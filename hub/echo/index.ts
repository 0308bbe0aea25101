/** Loopback echo ends (TCP, UDP, Iroh) and a UDP probe: what the hub's links are tested and probed against. */

export {
  connectIrohEcho,
  ECHO_ALPN,
  type EndpointId,
  type IrohEchoClient,
  type IrohEchoServer,
  startIrohEchoServer,
} from './iroh-echo.ts';
export { connectTcp, startTcpEchoServer, type TcpEchoServer, tcpRoundTrip } from './tcp-echo-server.ts';
export { startUdpEchoServer, type UdpEchoServer } from './udp-echo-server.ts';
export { openUdpProbe, type UdpProbe } from './udp-probe.ts';
