/**
 * The peer bench/raft measures Raft against in the same run: a 3-member etcd (Debian's etcd-server)
 * on loopback, each member with its own data dir (etcd fsyncs its WAL per commit, as the node does),
 * driven by the etcd3 client with the same concurrencies and value sizes as the node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { findFreePortBlock, sleep, withTimeout } from '../../node/lib/index.ts';

export interface EtcdPeer {
  /** One put (a linearizable write through Raft), value like the node's register writes. */
  put(key: string, value: string): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startEtcdPeer(binary = process.env.ETCD_BIN ?? 'etcd'): Promise<EtcdPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-etcd-'));
  const base = await findFreePortBlock(6);
  const members = [0, 1, 2].map((i) => ({ name: `e${i + 1}`, client: base + 2 * i, peer: base + 2 * i + 1 }));
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  for (const m of members) {
    const child = spawn(
      binary,
      [
        `--name=${m.name}`,
        `--data-dir=${join(dir, m.name)}`,
        `--listen-client-urls=http://127.0.0.1:${m.client}`,
        `--advertise-client-urls=http://127.0.0.1:${m.client}`,
        `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=bench',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    child.once('error', (err) => logs.push(`${binary}: ${err.message}`));
    children.push(child);
  }
  const client = new Etcd3({ hosts: members.map((m) => `http://127.0.0.1:${m.client}`) });
  const stop = async () => {
    client.close();
    for (const c of children) c.kill('SIGTERM');
    await sleep(300);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A member answers once the cluster has a leader; bounded by a few of etcd's election timeouts.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await withTimeout(client.put('bench-ready').value('1').exec(), 2000, 'etcd put');
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(
            `etcd did not elect within 20 s: ${(err as Error).message}; ${logs.join('').slice(-500)}`,
          );
        await sleep(200);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { put: (key, value) => client.put(key).value(value).exec(), stop };
}
