/** Loopback echo ends and probes that show from the outside whether a fault took on the wire. */

export {
  connectIrohEcho,
  ECHO_ALPN,
  type IrohEchoClient,
  type IrohEchoServer,
  startIrohEchoServer,
  within,
} from './iroh-echo.ts';
export { connectTcp, startTcpEchoServer, type TcpEchoServer, tcpRoundTrip } from './tcp-echo-server.ts';
export { startUdpEchoServer, type UdpEchoServer } from './udp-echo-server.ts';
export { openUdpProbe, type UdpProbe } from './udp-probe.ts';
