import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../lab/runtime/index.ts';
import { sleep } from '../../node/lib/index.ts';
import type { RpcChannel } from '../../node/transport/index.ts';
import { WorkloadClients } from './clients.ts';

/** A cluster of one dual node whose Iroh channels are fakes that count their closes. */
function fakeCluster() {
  const channels: { closed: boolean }[] = [];
  const cluster = {
    node: () => ({
      state: { mode: 'dual', clientGrpc: '127.0.0.1:9', irohId: 'x', clientIroh: '127.0.0.1:9' },
    }),
    client: {
      irohChannel: () => {
        const c = {
          closed: false,
          close: async () => {
            c.closed = true;
          },
        };
        channels.push(c);
        return c as unknown as RpcChannel;
      },
    },
  } as unknown as Pick<Cluster, 'node' | 'client'>;
  return { cluster, channels };
}

describe('WorkloadClients.renew', () => {
  it('replaces a channel a call failed on once, keeps the new one for calls begun before it', async () => {
    let t = 0;
    const { cluster, channels } = fakeCluster();
    const clients = new WorkloadClients(cluster, { now: () => t, drainMs: 30 });
    t = 10;
    const first = await clients.services('n1', 'iroh');
    expect(await clients.services('n1', 'iroh')).toBe(first);
    // Two calls begun at 20 fail on the channel opened at 10: the first renews it, the second finds
    // the new channel (opened at 25) and leaves it.
    t = 25;
    expect(clients.renew('n1', 'iroh', 20)).toBe(true);
    const second = await clients.services('n1', 'iroh');
    expect(second).not.toBe(first);
    expect(clients.renew('n1', 'iroh', 20)).toBe(false);
    expect(await clients.services('n1', 'iroh')).toBe(second);
    // The replaced channel stays open for the calls still on it, then closes.
    expect(channels.map((c) => c.closed)).toEqual([false, false]);
    await sleep(60);
    expect(channels.map((c) => c.closed)).toEqual([true, false]);
    await clients.close();
    expect(channels.map((c) => c.closed)).toEqual([true, true]);
  });

  it('closes replaced channels with the rest when the workload ends', async () => {
    const { cluster, channels } = fakeCluster();
    const clients = new WorkloadClients(cluster, { drainMs: 60_000 });
    await clients.services('n1', 'iroh');
    expect(clients.renew('n1', 'iroh')).toBe(true);
    await clients.services('n1', 'iroh');
    const closing = clients.close();
    // A replaced channel's drain is not waited out: close() ends it.
    await Promise.race([
      closing,
      sleep(2000).then(() => Promise.reject(new Error('close() waited for the drain'))),
    ]);
    expect(channels.map((c) => c.closed)).toEqual([true, true]);
  });
});
