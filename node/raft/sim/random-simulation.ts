import { randomInt, seededRandom } from '../../lib/index.ts';
import type { NodeId } from '../core/types.ts';
import { type CoreFactory, SimCluster } from './sim-cluster.ts';

export interface RandomSimulationOptions {
  /** Sim time with faults, client load and membership changes. */
  readonly faultPhaseMs?: number;
  /** After healing, a leader must be elected and a write committed within this time. */
  readonly livenessDeadlineMs?: number;
  readonly coreFactory?: CoreFactory;
}

export interface RandomSimulationReport {
  readonly seed: number;
  readonly voters: number;
  readonly events: number;
  readonly messages: number;
  readonly writesAcked: number;
  readonly readsChecked: number;
  readonly snapshots: number;
  readonly restarts: number;
  readonly electedTerms: number;
  readonly learnersAdded: number;
  readonly promotions: number;
  readonly removals: number;
  readonly recoveredInMs: number;
}

export class LivenessFailure extends Error {
  override name = 'LivenessFailure';
}

/**
 * One seeded run: a random cluster shape, network quality and Raft tuning, then a phase of random
 * faults (crashes, partitions, loss, duplication, reordering), client writes and reads, membership
 * changes and leadership transfers; then everything heals and the cluster must make progress.
 * Safety is checked after every event by the SimCluster. Same seed, same run.
 */
export function runRandomSimulation(
  seed: number,
  options: RandomSimulationOptions = {},
): RandomSimulationReport {
  const random = seededRandom(seed ^ 0x5eed);
  const pick = <T>(items: readonly T[]): T | undefined => items[randomInt(random, 0, items.length)];
  const size = random() < 0.5 ? 3 : 5;
  const voters = ['n1', 'n2', 'n3', 'n4', 'n5'].slice(0, size);
  const spares = ['n6', 'n7'];
  const lossy = {
    dropRate: random() * 0.2,
    duplicateRate: random() * 0.05,
    minDelayMs: 1,
    maxDelayMs: randomInt(random, 5, 40),
  };
  const cluster = new SimCluster({
    seed,
    voters,
    spares,
    network: lossy,
    maxFsyncMs: randomInt(random, 0, 5),
    tickMs: 10,
    clockDrift: random() * 0.3,
    snapshotEvery: random() < 0.3 ? 0 : randomInt(random, 3, 30),
    raft: {
      electionTicks: 10,
      // Mostly the production setting, but also the plain algorithm: safety must not rest on them.
      preVote: random() < 0.8,
      checkQuorum: random() < 0.7,
      heartbeatTicks: randomInt(random, 1, 4),
      maxEntriesPerAppend: randomInt(random, 1, 8),
      maxInflightAppends: randomInt(random, 1, 5),
      learnerCatchUpMargin: randomInt(random, 0, 5),
    },
    ...(options.coreFactory ? { coreFactory: options.coreFactory } : {}),
  });
  const all = [...cluster.nodes.keys()];
  const started = new Set<NodeId>(voters);
  const removed = new Set<NodeId>();
  const faultPhaseMs = options.faultPhaseMs ?? 3000;

  while (cluster.now < faultPhaseMs) {
    cluster.runFor(randomInt(random, 5, 40));
    const leader = cluster.leader();
    const up = all.filter((id) => cluster.node(id).up);
    // Any node that believes it leads, stale ones in a minority included: their uncommitted
    // entries are what later leaders must overwrite safely.
    const someLeader = pick(up.filter((id) => cluster.core(id).currentRole() === 'leader'));
    const down = all.filter((id) => started.has(id) && !cluster.node(id).up);
    const roll = random();
    if (roll < 0.35) {
      const batch = randomInt(random, 1, 4);
      for (let i = 0; i < batch && someLeader; i++) cluster.propose(someLeader);
    } else if (roll < 0.5) {
      // Reads at a leader or, forwarded to the leader, at any node.
      const reader = random() < 0.5 ? someLeader : pick(up);
      if (reader) cluster.read(reader);
    } else if (roll < 0.56) {
      const victim = pick(up);
      if (victim) cluster.crash(victim);
    } else if (roll < 0.66) {
      const back = pick(down);
      if (back) cluster.start(back);
    } else if (roll < 0.71) {
      const side = all.filter(() => random() < 0.5);
      cluster.partition([side]);
    } else if (roll < 0.76) {
      cluster.heal();
    } else if (roll < 0.8) {
      cluster.network = random() < 0.5 ? lossy : { ...lossy, dropRate: 0, duplicateRate: 0 };
    } else if (roll < 0.9) {
      if (leader) changeMembership(leader);
    } else if (roll < 0.94) {
      const to = leader ? pick(cluster.core(leader).confState().voters) : undefined;
      if (leader && to) cluster.transferLeader(leader, to);
    } else if (roll < 0.97) {
      // Cut the leader off: its last entries stay unreplicated and a rival may win (Figure 8).
      if (leader) cluster.partition([[leader]]);
    } else if (leader) {
      cluster.crash(leader);
    }
  }

  // Heal everything and demand progress.
  cluster.heal();
  cluster.network = { ...lossy, dropRate: 0, duplicateRate: 0 };
  for (const id of all) if (started.has(id) && !cluster.node(id).up) cluster.start(id);
  const healedAt = cluster.now;
  const deadline = healedAt + (options.livenessDeadlineMs ?? 6000);
  let committed = false;
  while (!committed && cluster.now < deadline) {
    cluster.runFor(20);
    const leader = cluster.leader();
    const writeId = leader ? cluster.propose(leader) : undefined;
    if (writeId) committed = cluster.runUntil(() => cluster.isAcked(writeId), 500);
  }
  if (!committed) {
    const states = all
      .filter((id) => cluster.node(id).core)
      .map((id) => {
        const s = cluster.core(id).status();
        return `${id}: ${s.role} term ${s.term} leader ${s.leader || '-'} commit ${s.commit} last ${s.lastIndex} voters [${s.confState.voters}]`;
      });
    throw new LivenessFailure(
      `liveness: no write committed within ${deadline - healedAt}ms after healing\n  ${states.join('\n  ')}`,
    );
  }
  return {
    seed,
    voters: size,
    events: cluster.seq,
    messages: cluster.stats.messages,
    writesAcked: cluster.stats.writesAcked,
    readsChecked: cluster.stats.readsChecked,
    snapshots: cluster.stats.snapshots,
    restarts: cluster.stats.restarts,
    electedTerms: cluster.checker.electedTerms(),
    learnersAdded: cluster.confChangesApplied['add-learner'],
    promotions: cluster.confChangesApplied['promote-learner'],
    removals: cluster.confChangesApplied['remove-node'],
    recoveredInMs: cluster.now - healedAt,
  };

  function changeMembership(leader: NodeId): void {
    const conf = cluster.core(leader).confState();
    const members = new Set([...conf.voters, ...conf.learners]);
    const roll = random();
    if (roll < 0.4) {
      const joiner = pick(spares.filter((id) => !members.has(id) && !removed.has(id)));
      if (!joiner) return;
      if (!cluster.node(joiner).up) {
        cluster.start(joiner);
        started.add(joiner);
      }
      cluster.proposeConfChange(leader, { type: 'add-learner', nodeId: joiner });
    } else if (roll < 0.8) {
      const learner = pick(conf.learners);
      if (learner) cluster.proposeConfChange(leader, { type: 'promote-learner', nodeId: learner });
    } else {
      // Keep three voters so that the healed cluster can tolerate the partition it may still have.
      const candidates = conf.voters.length > 3 ? [...conf.voters, ...conf.learners] : [...conf.learners];
      const victim = pick(candidates);
      if (!victim) return;
      const result = cluster.proposeConfChange(leader, { type: 'remove-node', nodeId: victim });
      if (result?.ok) removed.add(victim);
    }
  }
}
