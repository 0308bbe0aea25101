/**
 * The adaptive Raft transport on real nodes (loopback): Raft starts on gRPC, moves to Iroh for each
 * peer once the QUIC RTT readings are under the entry band, says so in the log and the metrics, and
 * carries Raft messages over Iroh; when a peer dies, the failed Iroh Raft calls send Raft to it back
 * to gRPC at once, with the failure as the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../testing/index.ts';
import { ADAPTIVE_RAFT_TUNING } from '../transport/index.ts';

/** Loopback QUIC RTT is far under this even on a loaded host, so the rule must enter Iroh. */
const THRESHOLD_MS = 1000;
/** One reading a second: the readings to enter, an Iroh handshake (2 s), and room for a loaded host. */
const ENTER_BOUND_MS = (ADAPTIVE_RAFT_TUNING.readingsToEnter + 1) * 1000 + 2000 + 20_000;
/** A dead peer: the next heartbeat over Iroh fails within the Iroh connect timeout (2 s) or the call deadline. */
const LEAVE_BOUND_MS = 2000 + 10_000 + 20_000;

interface Switch {
  peer: string;
  from: string;
  to: string;
  reason: string;
}

describe('adaptive raft_transport on real nodes', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      nodes: 3,
      mode: 'dual',
      raftTransport: 'adaptive',
      adaptiveThresholdMs: THRESHOLD_MS,
    });
  }, 120_000);
  afterAll(() => cluster?.stop());

  const switches = (id: string): Switch[] =>
    cluster
      .logTail(id, 100_000)
      .split('\n')
      .filter((l) => l.includes('"raft transport switched"'))
      .map((l) => JSON.parse(l) as Switch);
  const scrape = (id: string) =>
    fetch(`http://127.0.0.1:${cluster.spec(id).metricsPort}/metrics`).then((r) => r.text());
  const counter = (text: string, prefix: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(prefix))
        ?.split(' ')
        .at(-1) ?? 0,
    );

  it('moves Raft to Iroh per peer with its reason, then back to gRPC when the peer dies', async () => {
    const leader = await cluster.agreedLeader(['n1', 'n2', 'n3']);
    const peers = ['n1', 'n2', 'n3'].filter((id) => id !== leader);
    await expect
      .poll(
        () =>
          switches(leader)
            .filter((s) => s.to === 'iroh')
            .map((s) => s.peer)
            .sort(),
        {
          timeout: ENTER_BOUND_MS,
          interval: 500,
        },
      )
      .toEqual(peers);
    for (const s of switches(leader))
      expect(s.reason).toMatch(/^Iroh latency [\d.]+ ms under 800 ms for 3 readings$/);

    const text = await scrape(leader);
    for (const p of peers) {
      expect(counter(text, `blixard_raft_transport_switches_total{peer="${p}",to="iroh"`)).toBe(1);
      expect(counter(text, `blixard_raft_adaptive_transport{peer="${p}",transport="iroh"`)).toBe(1);
    }
    // Heartbeats now go over Iroh.
    const overIroh = counter(text, 'blixard_raft_messages_sent_total{transport="iroh"');
    await expect
      .poll(async () => counter(await scrape(leader), 'blixard_raft_messages_sent_total{transport="iroh"'), {
        timeout: 10_000,
      })
      .toBeGreaterThan(overIroh);

    const dead = peers[0] as string;
    await cluster.kill(dead, 'SIGKILL');
    await expect
      .poll(() => switches(leader).find((s) => s.peer === dead && s.to === 'grpc'), {
        timeout: LEAVE_BOUND_MS,
        interval: 500,
      })
      .toMatchObject({ from: 'iroh', reason: expect.stringMatching(/^Iroh failed: /) });
  }, 120_000);
});
