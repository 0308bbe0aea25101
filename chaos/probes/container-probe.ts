/**
 * A probe that runs inside a node's container (docker runtime), so a node-to-node link is probed from
 * where its source really sends: the script dials the peer address from the node's own config with
 * the node's own Iroh identity, and takes commands on stdin (one HealthCheck, a new connection, the
 * Iroh paths). The node image carries the node's transport code under /app/node.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { within, withTimeout } from '../../node/lib/index.ts';

const SCRIPT = String.raw`
import { createInterface } from 'node:readline';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
const t = await import('/app/node/transport/index.ts');
const { release } = await import('/app/node/lib/index.ts');
const [transport, address, irohId, keyFile] = process.argv.slice(1);
const at = address.lastIndexOf(':');
const resolved = (await lookup(address.slice(0, at))).address + address.slice(at);
const irohChannel = (addr, connectTimeoutMs) =>
  new t.OwnEndpointIrohChannel(
    { nodeId: irohId, addrs: [addr] },
    { secretKey: t.secretKeyFromHex(readFileSync(keyFile, 'utf8').trim(), keyFile), bindAddress: '0.0.0.0:0', connectTimeoutMs },
  );
let channel;
async function open() {
  // Closing a channel (and its endpoint) can wait for its peer; the old one is let go without waiting.
  void release(channel?.close());
  channel = transport === 'tcp' ? new t.GrpcChannel(address) : irohChannel(address, 3000);
}
await open();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
out({ ready: true, resolved });
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  try {
    if (cmd === 'rtt') {
      const client = t.createClient(t.ClusterService, channel);
      const t0 = performance.now();
      await client.healthCheck({}, { timeoutMs: Number(arg) });
      out({ ok: true, ms: performance.now() - t0 });
    } else if (cmd === 'new') { await open(); out({ ok: true }); }
    else if (cmd === 'direct') {
      // A handshake and a HealthCheck straight to the node's own address, around the hub.
      const ch = irohChannel(arg, 1500);
      try {
        await t.createClient(t.ClusterService, ch).healthCheck({}, { timeoutMs: 1500 });
        out({ ok: true, reached: true });
      } catch { out({ ok: true, reached: false }); }
      void release(ch.close());
    }
    else if (cmd === 'paths') {
      const conn = await channel.connect();
      out({ ok: true, paths: conn.paths().filter((p) => p.isIp).map((p) => p.remoteAddr) });
    } else if (cmd === 'quit') { out({ ok: true }); break; }
  } catch (err) { out({ ok: false, error: String(err?.message ?? err).split('\n')[0] }); }
}
process.exit(0);
`;

export interface ContainerProbeTarget {
  container: string;
  transport: 'tcp' | 'udp';
  address: string;
  irohId: string;
  /** The source node's Iroh key file, as the container sees it. */
  keyFile: string;
}

export interface ContainerProbe {
  /** The dialled address as the container resolves it (what every Iroh path must be). */
  readonly resolved: string;
  /** One HealthCheck round trip in ms; throws with the error when none came. */
  rtt(timeoutMs: number): Promise<number>;
  /** Drops the connection (and endpoint) and dials anew. */
  reopen(): Promise<void>;
  paths(): Promise<string[]>;
  /** Whether an Iroh HealthCheck straight to `address` (not the link) answers from this container. */
  reaches(address: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function openContainerProbe(target: ContainerProbeTarget): Promise<ContainerProbe> {
  const child: ChildProcessWithoutNullStreams = spawn(
    'docker',
    [
      'exec',
      '-i',
      '-w',
      '/app',
      target.container,
      'node',
      '--input-type=module',
      '-e',
      SCRIPT,
      target.transport,
      target.address,
      target.irohId,
      target.keyFile,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const queue: ((line: string) => void)[] = [];
  const pending: string[] = [];
  lines.on('line', (line) => {
    const waiter = queue.shift();
    if (waiter) waiter(line);
    else pending.push(line);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) =>
      reject(
        new Error(
          `probe in ${target.container} exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        ),
      ),
    );
  });
  // Observed here so an exit nobody waits on is not an unhandled rejection; callers race it.
  exited.catch(() => undefined);
  const next = (what: string, withinMs = 30_000): Promise<Record<string, unknown>> =>
    withTimeout(
      Promise.race([
        new Promise<Record<string, unknown>>((resolve) => {
          const take = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
          const early = pending.shift();
          if (early !== undefined) take(early);
          else queue.push(take);
        }),
        exited,
      ]),
      withinMs,
      `the probe in ${target.container} (${what})`,
    );
  const ask = async (command: string): Promise<Record<string, unknown>> => {
    child.stdin.write(`${command}\n`);
    return next(`'${command}'`);
  };
  // Its first line comes once Node, the Iroh binding and an endpoint are up in the container: on a
  // busy machine (docker exec, a cold start of Node) that alone can take tens of seconds.
  const hello = await next('start', 90_000);
  return {
    resolved: String(hello.resolved),
    async rtt(timeoutMs) {
      const r = await ask(`rtt ${timeoutMs}`);
      if (r.ok !== true) throw new Error(String(r.error));
      return Number(r.ms);
    },
    async reopen() {
      await ask('new');
    },
    async reaches(address) {
      const r = await ask(`direct ${address}`);
      return r.reached === true;
    },
    async paths() {
      const r = await ask('paths');
      return r.ok === true ? (r.paths as string[]) : [];
    },
    async close() {
      if (child.exitCode === null) {
        child.stdin.write('quit\n');
        child.stdin.end();
        // It exits on `quit`; one that does not within 3 s is killed.
        await within(exited, 3000, undefined);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}
