/**
 * The peer connector in three real node processes: when a follower is killed
 * the leader's breaker for it opens (Raft messages to it are buffered or
 * dropped, and counted, instead of each waiting out a deadline), and once the
 * follower is back a health probe closes the breaker and it catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';

const LIVENESS_MS = 60_000;

describe.each(['grpc', 'iroh'] as const)('peer circuit breakers with Raft over %s', (raftTransport) => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      nodes: 3,
      mode: 'dual',
      raftTransport,
      preferIroh: raftTransport === 'iroh' ? ['raft', 'health', 'cluster', 'status'] : [],
    });
  });
  afterAll(() => cluster?.stop());

  async function scrape(id: string): Promise<string> {
    return fetch(`http://127.0.0.1:${cluster.spec(id).metricsPort}/metrics`).then((r) => r.text());
  }

  function sample(text: string, name: string, labels: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('opens on a dead peer and closes when it returns', async () => {
    const leader = await cluster.agreedLeader(['n1', 'n2', 'n3'], { timeoutMs: LIVENESS_MS });
    const victim = ['n1', 'n2', 'n3'].find((id) => id !== leader) as string;
    const peer = `peer="${victim}"`;
    await expect
      .poll(async () => sample(await scrape(leader), 'blixard_peer_circuit_state', peer), {
        timeout: LIVENESS_MS,
        interval: 200,
      })
      .toBe(0);

    await cluster.kill(victim, 'SIGKILL');
    await expect
      .poll(async () => sample(await scrape(leader), 'blixard_peer_circuit_state', peer), {
        timeout: LIVENESS_MS,
        interval: 50,
      })
      .toBe(2);
    // Writes still commit on the two survivors while the breaker is open.
    const { blixard } = await cluster.clients(leader);
    await blixard.proposeTask(
      { key: 'during', op: RegisterOp.WRITE, value: 'outage' },
      { timeoutMs: 10_000 },
    );
    const open = await scrape(leader);
    expect(
      sample(open, 'blixard_peer_circuit_transitions_total', `${peer},to="open"`),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(open, 'blixard_raft_messages_dropped', peer)).toBeGreaterThan(0);
    // The health loop probes the dead peer on the breaker's schedule, and each probe fails.
    await expect
      .poll(
        async () =>
          sample(await scrape(leader), 'blixard_peer_health_checks', `${peer},outcome="failed"`) ?? 0,
        {
          timeout: LIVENESS_MS,
          interval: 100,
        },
      )
      .toBeGreaterThan(0);

    cluster.restart(victim);
    await expect
      .poll(async () => sample(await scrape(leader), 'blixard_peer_circuit_state', peer), {
        timeout: LIVENESS_MS,
        interval: 100,
      })
      .toBe(0);
    const closed = await scrape(leader);
    expect(
      sample(closed, 'blixard_peer_circuit_transitions_total', `${peer},to="half-open"`),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(closed, 'blixard_peer_circuit_transitions_total', `${peer},to="closed"`),
    ).toBeGreaterThanOrEqual(1);
    // The returned follower catches up: it applies the write made during its absence.
    await expect
      .poll(
        async () => {
          const s = await (await cluster.clients(victim)).blixard
            .getRaftStatus({}, { timeoutMs: 2000 })
            .catch(() => undefined);
          const l = await (await cluster.clients(leader)).blixard.getRaftStatus({}, { timeoutMs: 2000 });
          return s !== undefined && s.appliedIndex >= l.commitIndex;
        },
        { timeout: LIVENESS_MS, interval: 200 },
      )
      .toBe(true);
  }, 180_000);
});
