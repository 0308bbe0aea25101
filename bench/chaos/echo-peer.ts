/**
 * The far end of every benchmarked path, in its own process so the client's event loop measures
 * only the client: a UDP echo, a TCP echo and an Iroh echo server on 127.0.0.1. Prints one JSON
 * line with their addresses, then runs until its parent closes stdin or signals it.
 */
import { startIrohEchoServer, startTcpEchoServer, startUdpEchoServer } from '../../hub/echo/index.ts';

const [udp, tcp, iroh] = await Promise.all([
  startUdpEchoServer(),
  startTcpEchoServer(),
  startIrohEchoServer(),
]);
console.log(
  JSON.stringify({
    udpPort: udp.port,
    tcpPort: tcp.port,
    irohId: iroh.id.toString(),
    irohAddress: iroh.address,
  }),
);

const stop = async () => {
  await Promise.allSettled([udp.close(), tcp.close(), iroh.close()]);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop).resume();
