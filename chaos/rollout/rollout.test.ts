import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../node/lib/index.ts';
import { defaultStrategy, SERVICE_GROUPS, type TransportMode } from '../../node/transport/index.ts';
import {
  checkRollouts,
  evaluateGates,
  gatesOf,
  incompatibilities,
  nodeOrder,
  parseRollout,
  percentOf,
  planRollout,
  RolloutError,
  RolloutPlanError,
  type RolloutStep,
  rollbackChanges,
  type Scrape,
  type Settings,
  windowFigures,
} from './index.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const cluster = (n: number, mode: TransportMode = 'dual'): Record<string, Settings> =>
  Object.fromEntries(ids(n).map((id) => [id, { mode, strategy: defaultStrategy(mode) }]));

const PATH = `
name: grpc to iroh
order: [n1, n2, n3]
steps:
  - { name: dual, nodes: all, mode: dual, fallback_to_grpc: true }
  - { name: health, nodes: all, prefer_iroh: [health] }
  - { name: groups, nodes: all, prefer_iroh: all }
  - { name: raft, nodes: all, raft_transport: iroh }
  - { name: iroh, nodes: all, mode: iroh }
`;

describe('rollout files', () => {
  it('refuses a bad file naming file, line and field', () => {
    const text = `name: bad
steps:
  - { nodes: 150%, prefer_iroh: [health] }
  - { nodes: all, mode: quic }
  - { nodes: 2 }
  - { nodes: all, mode: dual, gates: { error_rate: 2 } }
  - { nodes: all, mode: dual, colour: red }
`;
    let err: unknown;
    try {
      parseRollout(text, 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RolloutError);
    const problems = (err as RolloutError).problems.join('\n');
    expect(problems).toMatch(/^bad\.yaml:4:19: steps\[1\]\.mode: Invalid option/m);
    expect(problems).toMatch(/^bad\.yaml:5:5: steps\[2\]: a step changes something/m);
    expect(problems).toMatch(/^bad\.yaml:6:40: steps\[3\]\.gates\.error_rate: expected a share/m);
    expect(problems).toMatch(/^bad\.yaml:7:\d+: steps\[4\]\.colour: unknown field/m);
    // A gate can be turned off; others keep the shared defaults.
    const g = parseRollout('name: g\ngates: { raft_p99: off, p99: 2s }\nsteps: [{ nodes: all, mode: dual }]');
    const gates = gatesOf(g, g.steps[0] as RolloutStep);
    expect(gates.raft_p99).toBeUndefined();
    expect(gates.p99).toBe(2000);
    expect(gates.election_stability).toBe(0.999);
    // 150 % parses (a percentage), and the plan caps it at the cluster.
    expect(percentOf(150, 3)).toBe(3);
  });

  it('rounds a percentage of the cluster up, at least one node: 5/25/50/100 % of 7 are 1, 2, 4, 7', () => {
    expect([5, 25, 50, 100].map((p) => percentOf(p, 7))).toEqual([1, 2, 4, 7]);
    expect(percentOf(1, 3)).toBe(1);
    expect(percentOf(34, 3)).toBe(2);
  });
});

describe('rollout plans', () => {
  it('draws the node order from the seed: the same seed the same order, every node once', () => {
    for (let seed = 0; seed < 50; seed++) {
      const a = nodeOrder({ seed }, ids(7));
      expect(nodeOrder({ seed }, ids(7))).toEqual(a);
      expect([...a].sort()).toEqual([...ids(7)].sort());
    }
    const orders = new Set(Array.from({ length: 20 }, (_, seed) => nodeOrder({ seed }, ids(7)).join()));
    expect(orders.size).toBeGreaterThan(10);
  });

  it('plans a 7-node canary: 1, 2, 4, 7 nodes reached, each new node reloaded, none restarted', () => {
    const rollout = parseRollout(`
name: canary
seed: 11
steps:
  - { name: 5%, nodes: 5%, prefer_iroh: all, raft_transport: iroh }
  - { name: 25%, nodes: 25%, prefer_iroh: all, raft_transport: iroh }
  - { name: 50%, nodes: 50%, prefer_iroh: all, raft_transport: iroh }
  - { name: 100%, nodes: 100%, prefer_iroh: all, raft_transport: iroh }
`);
    const plan = planRollout(rollout, cluster(7));
    expect(plan.steps.map((s) => s.nodes.length)).toEqual([1, 2, 4, 7]);
    expect(plan.steps.map((s) => s.changes.length)).toEqual([1, 1, 2, 3]);
    expect(plan.steps.every((s) => s.changes.every((c) => !c.restart))).toBe(true);
    // Each step reaches the nodes of the one before, and more.
    for (let i = 1; i < 4; i++)
      expect(plan.steps[i]?.nodes.slice(0, plan.steps[i - 1]?.nodes.length)).toEqual(
        plan.steps[i - 1]?.nodes,
      );
    const canary = plan.steps[0]?.nodes[0] as string;
    expect(plan.steps[0]?.target[canary]?.strategy).toEqual({
      preferIroh: SERVICE_GROUPS.filter((g) => g !== 'raft'),
      raftTransport: 'iroh',
      fallbackToGrpc: true,
    });
    // Rolling the 25 % step back undoes exactly its own node.
    const back = rollbackChanges(plan.steps[1] as (typeof plan.steps)[number]);
    expect(back).toHaveLength(1);
    expect(back[0]?.to).toEqual(cluster(7)[back[0]?.node as string]);
  });

  it('plans grpc → dual → groups → raft → iroh with restarts only where the mode changes', () => {
    const plan = planRollout(parseRollout(PATH), cluster(3, 'grpc'));
    expect(plan.steps.map((s) => s.changes.filter((c) => c.restart).length)).toEqual([3, 0, 0, 0, 3]);
    expect(plan.steps.map((s) => s.changes.length)).toEqual([3, 3, 3, 3, 3]);
    expect(plan.steps[4]?.target.n2?.mode).toBe('iroh');
  });

  it('refuses steps that leave two nodes unable to talk, naming the step, the node and why', () => {
    const skip = parseRollout(`
name: too fast
order: [n1, n2, n3]
steps:
  - { nodes: [n1], mode: iroh }
`);
    expect(() => planRollout(skip, cluster(3, 'grpc'))).toThrow(RolloutPlanError);
    expect(() => planRollout(skip, cluster(3, 'grpc'))).toThrow(
      /steps\[0\]: once n1 has changed: n2 \(grpc\) and n1 \(iroh\) share no transport/,
    );
    const half = parseRollout(`
name: raft left behind
order: [n1, n2, n3]
steps:
  - { nodes: all, prefer_iroh: all }
  - { nodes: 1, mode: iroh }
`);
    expect(() => planRollout(half, cluster(3))).toThrow(
      /steps\[1\]: once n1 has changed: n2 \(dual\) sends raft over gRPC, which n1 \(iroh\) does not serve/,
    );
    expect(() => planRollout(parseRollout('name: x\nsteps: [{ nodes: 4, mode: dual }]'), cluster(3))).toThrow(
      /steps\[0\]\.nodes: 4 nodes asked of a 3-node cluster/,
    );
    expect(() =>
      planRollout(
        parseRollout('name: x\nsteps: [{ nodes: all, mode: grpc, prefer_iroh: [health] }]'),
        cluster(3),
      ),
    ).toThrow(/mode grpc serves no Iroh/);
  });

  it('tells which mixed clusters work: gRPC with dual, dual with Iroh when everything goes over Iroh', () => {
    const all = {
      preferIroh: SERVICE_GROUPS.filter((g) => g !== 'raft'),
      raftTransport: 'iroh' as const,
      fallbackToGrpc: true,
    };
    expect(
      incompatibilities({
        n1: { mode: 'grpc', strategy: defaultStrategy('grpc') },
        n2: { mode: 'dual', strategy: defaultStrategy('dual') },
      }),
    ).toEqual([]);
    expect(
      incompatibilities({
        n1: { mode: 'iroh', strategy: defaultStrategy('iroh') },
        n2: { mode: 'dual', strategy: all },
      }),
    ).toEqual([]);
    expect(
      incompatibilities({
        n1: { mode: 'grpc', strategy: defaultStrategy('grpc') },
        n2: { mode: 'dual', strategy: { ...all, fallbackToGrpc: false } },
      }),
    ).toEqual([
      'n2 (dual) sends health, status, monitoring, cluster, raft, vm_ops, scheduling, tasks, p2p over Iroh, which n1 (grpc) does not serve, and does not fall back to gRPC',
    ]);
  });
});

/** One node's /metrics text from counts: calls per (side, service/method, transport, code) and latency. */
function metricsText(m: {
  term: number;
  leader: boolean;
  calls: {
    side: 'server' | 'client';
    path: string;
    transport: string;
    code: number;
    n: number;
    seconds: number;
  }[];
  raft: { transport: string; n: number; seconds: number }[];
  fallbacks: number;
}): string {
  const bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
  const lines = [`blixard_raft_term ${m.term}`, `blixard_raft_is_leader ${m.leader ? 1 : 0}`];
  const histo = (name: string, labels: string, n: number, seconds: number) => {
    for (const b of bounds) lines.push(`${name}_bucket{le="${b}",${labels}} ${seconds <= b ? n : 0}`);
    lines.push(`${name}_bucket{le="+Inf",${labels}} ${n}`, `${name}_count{${labels}} ${n}`);
  };
  for (const c of m.calls) {
    const [service, method] = c.path.split('/');
    histo(
      `blixard_rpc_${c.side}_duration_seconds`,
      `transport="${c.transport}",service="${service}",method="${method}",code="${c.code}",node="x"`,
      c.n,
      c.seconds,
    );
  }
  for (const r of m.raft)
    histo('blixard_raft_message_duration_seconds', `transport="${r.transport}",peer="p"`, r.n, r.seconds);
  lines.push(`blixard_transport_fallbacks_total{service="s",method="m"} ${m.fallbacks}`);
  return lines.join('\n');
}

/** A seeded window: `rounds` scrapes of 3 nodes, counters growing; `fault` shapes the last round. */
function window(
  seed: number,
  fault: 'none' | 'slow-raft' | 'errors' | 'new-leader' | 'fallbacks',
): Scrape[][] {
  const random = seededRandom(seed, 'gates');
  const rounds: Scrape[][] = [];
  const total = { calls: 0, errors: 0, raft: 0, fallbacks: 0 };
  for (let r = 0; r < 6; r++) {
    const last = r === 5;
    total.calls += 50 + Math.floor(random() * 50);
    total.raft += 100 + Math.floor(random() * 50);
    if (last && fault === 'errors') total.errors += 20;
    if (last && fault === 'fallbacks') total.fallbacks += 30;
    rounds.push(
      ids(3).map((node) => ({
        node,
        t: r * 1000,
        text: metricsText({
          term: last && fault === 'new-leader' ? 4 : 3,
          leader: node === (last && fault === 'new-leader' ? 'n2' : 'n1'),
          calls: [
            {
              side: 'server',
              path: 'blixard.BlixardService/ProposeTask',
              transport: 'iroh',
              code: 0,
              n: total.calls,
              seconds: 0.004,
            },
            {
              side: 'server',
              path: 'blixard.BlixardService/ProposeTask',
              transport: 'iroh',
              code: 14,
              n: total.errors,
              seconds: 0.004,
            },
            {
              side: 'client',
              path: 'blixard.ClusterService/HealthCheck',
              transport: 'iroh',
              code: 0,
              n: total.calls,
              seconds: 0.002,
            },
          ],
          raft: [{ transport: 'iroh', n: total.raft, seconds: last && fault === 'slow-raft' ? 0.4 : 0.003 }],
          fallbacks: total.fallbacks,
        }),
      })),
    );
  }
  return rounds;
}

describe('gates over a watch window', () => {
  const gates = {
    error_rate: 0.01,
    p99: 100,
    raft_p99: 50,
    election_stability: 0.999,
    fallback_rate: 0.01,
    min_calls: 20,
  };

  it('passes a healthy window, every seed', () => {
    for (let seed = 0; seed < 20; seed++) {
      const results = evaluateGates(gates, windowFigures(window(seed, 'none')));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results.map((r) => r.gate).sort()).toEqual(
        ['election_stability', 'error_rate', 'error_rate', 'fallback_rate', 'p99', 'p99', 'raft_p99'].sort(),
      );
    }
  });

  it.each([
    ['slow-raft', 'raft_p99', 'raft messages over iroh'],
    ['errors', 'error_rate', 'server raft over iroh'],
    ['new-leader', 'election_stability', 'sample rounds with one leader and no term change'],
    ['fallbacks', 'fallback_rate', 'calls to peers'],
  ] as const)('breaches on %s: %s of %s', (fault, gate, subject) => {
    for (let seed = 0; seed < 20; seed++) {
      const breached = evaluateGates(gates, windowFigures(window(seed, fault))).filter((r) => !r.ok);
      expect(breached.map((r) => [r.gate, r.subject])).toEqual([[gate, subject]]);
    }
  });

  it('holds Iroh against gRPC in the same window: a loaded host slows both and passes, slow Iroh alone breaches', () => {
    const scrape = (round: number, irohS: number, grpcS: number): Scrape[] =>
      ids(3).map((node) => ({
        node,
        t: round * 1000,
        text: metricsText({
          term: 3,
          leader: node === 'n1',
          calls: [],
          raft: [
            { transport: 'iroh', n: 100 * round, seconds: irohS },
            { transport: 'grpc', n: 100 * round, seconds: grpcS },
          ],
          fallbacks: 0,
        }),
      }));
    const ratio = { min_calls: 20, iroh_p99_ratio: 2 };
    const loaded = evaluateGates(ratio, windowFigures([scrape(0, 0.5, 0.5), scrape(1, 0.5, 0.5)]));
    expect(loaded.map((r) => r.ok)).toEqual([true]);
    const slowIroh = evaluateGates(ratio, windowFigures([scrape(0, 0.5, 0.05), scrape(1, 0.5, 0.05)]));
    expect(slowIroh.map((r) => [r.ok, r.subject])).toEqual([
      [false, 'raft messages: p99 over iroh 497.5 ms, over grpc 49.8 ms'],
    ]);
    // Both fast: a sub-50 ms p99 is no baseline to divide by.
    const fast = evaluateGates(ratio, windowFigures([scrape(0, 0.004, 0.001), scrape(1, 0.004, 0.001)]));
    expect(fast.map((r) => r.ok)).toEqual([true]);
  });

  it('judges nothing it has too few calls for, and counts a restarted node from zero', () => {
    const few = evaluateGates({ ...gates, min_calls: 100_000 }, windowFigures(window(1, 'errors')));
    expect(few.map((r) => r.gate)).toEqual(['election_stability']);
    const rounds = window(2, 'none');
    const restarted = rounds.at(-1)?.[0] as Scrape;
    restarted.text = metricsText({
      term: 3,
      leader: true,
      calls: [],
      raft: [{ transport: 'iroh', n: 5, seconds: 0.003 }],
      fallbacks: 0,
    });
    const f = windowFigures(rounds);
    expect(f.raft[0]?.messages).toBeGreaterThan(0);
    expect(f.silent).toEqual([]);
  });
});

describe('rollout outcomes in the verdict', () => {
  const op = { do: 'rollout', file: 'canary.rollout.yaml', expect: 'rolled-back', back_to: '5%' };
  const rolled = (to: string) => ({
    t: 1,
    kind: 'rollout',
    op,
    detail: { outcome: 'rolled-back', rolledBack: { from: '25%', to, reasons: ['raft_p99: …'] } },
  });
  it('passes a rollout that ended as expected and fails one that did not', () => {
    expect(checkRollouts([rolled('5%')])[0]?.valid).toBe(true);
    const wrong = checkRollouts([rolled('start')])[0];
    expect(wrong?.valid).toBe(false);
    expect(wrong?.explanation).toMatch(
      /expected rolled-back to 5%, got rolled-back: 25% rolled back to start/,
    );
    const completed = { t: 1, kind: 'rollout', op, detail: { outcome: 'completed', passed: ['5%', '25%'] } };
    expect(checkRollouts([completed])[0]?.valid).toBe(false);
    const error = { t: 1, kind: 'nemesis-error', op, detail: { error: 'n3 did not come back' } };
    expect(checkRollouts([error])[0]).toMatchObject({
      valid: false,
      explanation: 'the rollout did not run: n3 did not come back',
    });
  });
});
