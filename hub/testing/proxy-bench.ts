/**
 * The hub's two proxies and an echo server for each transport, on loopback: the bench its tests
 * push traffic through (a link's TCP side to the TCP echo through Toxiproxy, its UDP side to the UDP
 * echo through the UDP toxic proxy).
 */
import {
  startTcpEchoServer,
  startUdpEchoServer,
  type TcpEchoServer,
  type UdpEchoServer,
} from '../echo/index.ts';
import { ensureToxiproxyBinary, startToxiproxyServer, type ToxiproxyServer } from '../tcp/index.ts';
import { startUdpToxicProxy, type UdpToxicProxy } from '../udp/index.ts';

export interface ProxyBench {
  toxiproxy: ToxiproxyServer;
  udpProxy: UdpToxicProxy;
  tcpEcho: TcpEchoServer;
  udpEcho: UdpEchoServer;
  close(): Promise<void>;
}

/** Starts the bench; both proxies draw their toxics' randomness from `seed`. */
export async function startProxyBench(seed: number): Promise<ProxyBench> {
  await ensureToxiproxyBinary(); // runs scripts/setup-toxiproxy.sh when the binary is absent
  const [toxiproxy, udpProxy, tcpEcho, udpEcho] = await Promise.all([
    startToxiproxyServer({ seed }),
    startUdpToxicProxy({ seed }),
    startTcpEchoServer(),
    startUdpEchoServer(),
  ]);
  return {
    toxiproxy,
    udpProxy,
    tcpEcho,
    udpEcho,
    close: async () => {
      await Promise.all([toxiproxy.close(), udpProxy.close(), tcpEcho.close(), udpEcho.close()]);
    },
  };
}
