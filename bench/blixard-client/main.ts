/**
 * `make bench BENCH=blixard-client`: the two ways the lab could speak to the real Blixard, side by side
 * on one cluster of three real nodes (docker, behind the hub):
 *
 *  - its own `blixard` CLI in the client container (what the lab uses): `cluster status` round trips,
 *    each a new process and a new Iroh connection through the client link;
 *  - the lab's own Iroh binding (iroh 1.0.2), dialling the node's id at its client link with Blixard's
 *    ALPN (`blixard/rpc/1`): whether a QUIC handshake with Blixard's iroh 0.91 completes at all.
 *
 * Prints the CLI's latencies and whether the binding's handshake works (and why not).
 */
import { Cluster } from '../../lab/runtime/index.ts';
import { bindEndpoint } from '../../node/transport/index.ts';

const CALLS = Number(process.env.BLIXARD_CLIENT_CALLS ?? 10);

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The node id in a ticket: base32 (RFC 4648, lower case, no padding) of postcard, a variant byte first. */
function nodeIdOfTicket(ticket: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of ticket.slice('node'.length)) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`ticket: '${ch}' is not base32`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes.slice(1, 33)).toString('hex');
}

const cluster = await Cluster.start({
  nodes: 3,
  runtime: 'docker',
  mode: 'iroh',
  sut: 'blixard-rs',
  prometheus: false,
});
try {
  const leader = await cluster.waitForLeader(60_000);
  const node = cluster.node(leader);
  const driver = cluster.blixard;
  if (!driver) throw new Error('not a blixard-rs cluster');
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    const res = await driver.cli(node.state, ['cluster', 'status', '--addr', '{ticket}'], 10_000);
    if (res.code !== 0) throw new Error(`blixard cluster status: ${res.stderr.trim()}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `blixard CLI, cluster status through the client link: ${CALLS} calls, p50 ${quantile(ms, 0.5).toFixed(0)} ms, p90 ${quantile(ms, 0.9).toFixed(0)} ms, max ${(ms.at(-1) ?? 0).toFixed(0)} ms`,
  );

  const ep = await bindEndpoint({ bindAddr: '127.0.0.1:0', alpns: ['blixard/rpc/1'] });
  const id = nodeIdOfTicket(node.state.ticket ?? '');
  const t0 = performance.now();
  try {
    const conn = await Promise.race([
      ep.connect(id, [node.state.clientIroh], 'blixard/rpc/1'),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no handshake within 10 s')), 10_000),
      ),
    ]);
    console.log(
      `lab binding (iroh 1.0.2) to Blixard (iroh 0.91): handshake completed in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    conn.close(0, 'bench done');
  } catch (err) {
    console.log(`lab binding (iroh 1.0.2) to Blixard (iroh 0.91): no connection — ${(err as Error).message}`);
  } finally {
    await ep.close();
  }
} finally {
  await cluster.stop();
}
