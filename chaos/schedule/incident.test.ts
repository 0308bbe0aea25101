import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IncidentError,
  incidentToYaml,
  loadIncident,
  mixOf,
  parseIncident,
  scheduleOf,
  sloOf,
  strategyOf,
} from './incident.ts';

const INCIDENTS = join(import.meta.dirname, '..', '..', 'scenarios', 'incidents');

function problems(text: string): string[] {
  try {
    parseIncident(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof IncidentError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

describe('incident files', () => {
  it('every example in scenarios/incidents parses and gives a schedule', async () => {
    const files = (await readdir(INCIDENTS)).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const incident = await loadIncident(join(INCIDENTS, f));
      expect(scheduleOf(incident).length).toBeGreaterThan(0);
    }
  });

  it('a wipe-data naming a node the cluster lacks is refused at its field', () => {
    const text = [
      'name: x',
      'cluster: { nodes: 3 }',
      'workload: { clients: 1, keys: 1, duration: 1s }',
      'schedule:',
      '  - { at: 1s, do: wipe-data, nodes: [n1, n7] }',
    ].join('\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^bad\.yaml:5:\d+: schedule\[0\]\.nodes: no node 'n7'/),
    ]);
  });

  it('an slo block: defaults when absent, a bad value refused at its line and field', () => {
    const head = ['name: x', 'cluster: { nodes: 3 }', 'workload: { clients: 1, keys: 1, duration: 1s }'];
    const tail = ['schedule:', '  - { at: 1s, do: heal }'];
    expect(sloOf(parseIncident([...head, ...tail].join('\n'), 'ok.yaml'))).toEqual({
      errorRate: 0.2,
      p99Ms: 5000,
      recoveryMs: 30_000,
      settleMs: 5000,
      minOps: 20,
    });
    const tight = parseIncident(
      [...head, 'slo: { p99: 50ms, under_faults: { p99: 200ms } }', ...tail].join('\n'),
      'ok.yaml',
    );
    expect(sloOf(tight)).toMatchObject({ p99Ms: 50, underFaults: { p99Ms: 200 } });
    expect(problems([...head, 'slo:', '  error_rate: 2', ...tail].join('\n'))).toEqual([
      expect.stringMatching(/^bad\.yaml:5:3: slo\.error_rate: Too big: expected number to be <=1/),
    ]);
    expect(problems([...head, 'slo: { recovery: soon }', ...tail].join('\n'))).toEqual([
      expect.stringMatching(/^bad\.yaml:4:\d+: slo\.recovery: 'soon' is not a duration/),
    ]);
    expect(problems([...head, 'slo: { p95: 1s }', ...tail].join('\n'))).toEqual([
      'bad.yaml:4:8: slo.p95: unknown field',
    ]);
  });

  it('checks: families or checker names; anything else refused at its line and index', () => {
    const head = ['name: x', 'cluster: { nodes: 3 }', 'workload: { clients: 1, keys: 1, duration: 1s }'];
    const tail = ['schedule:', '  - { at: 1s, do: heal }'];
    const scoped = parseIncident(
      [...head, "checks: [leadership, 'raft: terms never decrease']", ...tail].join('\n'),
      'ok.yaml',
    );
    expect(scoped.checks).toEqual(['leadership', 'raft: terms never decrease']);
    expect(parseIncident([...head, ...tail].join('\n'), 'ok.yaml').checks).toBeUndefined();
    expect(problems([...head, 'checks:', '  - leadership', '  - liveness', ...tail].join('\n'))).toEqual([
      expect.stringMatching(/^bad\.yaml:6:5: checks\[1\]: 'liveness' is no checker family \(registers, .*\)/),
    ]);
    expect(problems([...head, 'checks: []', ...tail].join('\n'))).toEqual([
      expect.stringMatching(/^bad\.yaml:4:\d+: checks: Too small/),
    ]);
  });

  it('writes an incident back as a file that parses to the same incident (how runs record it)', async () => {
    const files = (await readdir(INCIDENTS)).filter((f) => f.endsWith('.yaml'));
    for (const f of files) {
      const incident = await loadIncident(join(INCIDENTS, f));
      const again = parseIncident(incidentToYaml(incident), 'again.yaml');
      expect({ ...again, source: incident.source }).toEqual(incident);
      expect(parseIncident(incidentToYaml(incident, 99), 'x').seed).toBe(99);
    }
  });

  it('fills defaults and turns durations into ms, sorted by time', () => {
    const i = parseIncident(
      'name: t\nschedule:\n  - { at: 3s, do: heal }\n  - { at: 1500ms, do: kill, node: n1 }\n',
    );
    expect(i.cluster).toEqual({ nodes: 3, mode: 'dual', runtime: 'docker', sut: 'reference' });
    expect(i.workload.duration).toBe(10_000);
    expect(scheduleOf(i)).toEqual([
      { at: 1500, op: { do: 'kill', node: 'n1' } },
      { at: 3000, op: { do: 'heal' } },
    ]);
  });

  it("names the cluster's transport strategy; iroh-only-loss runs Raft over Iroh", async () => {
    const i = await loadIncident(join(INCIDENTS, 'iroh-only-loss.yaml'));
    expect(strategyOf(i)).toEqual({
      preferIroh: ['health', 'status', 'vm_ops', 'tasks', 'cluster'],
      raftTransport: 'iroh',
      fallbackToGrpc: true,
    });
    const adaptive = parseIncident(
      'name: a\ncluster: { strategy: { raft_transport: { adaptive: { latency_threshold_ms: 5 } } } }\nschedule: [{ at: 1s, do: heal }]\n',
    );
    expect(strategyOf(adaptive)).toEqual({
      preferIroh: [],
      raftTransport: { adaptive: { latencyThresholdMs: 5 } },
      fallbackToGrpc: true,
    });
    expect(strategyOf(parseIncident('name: d\nschedule: [{ at: 1s, do: heal }]\n'))).toBeUndefined();
    expect(
      problems(
        'name: g\ncluster: { mode: grpc, strategy: { raft_transport: iroh } }\nschedule: [{ at: 1s, do: heal }]\n',
      ),
    ).toEqual([expect.stringMatching(/cluster\.strategy: mode "grpc" serves no Iroh/)]);
    expect(
      problems('name: g\ncluster: { strategy: { prefer_iroh: [nope] } }\nschedule: [{ at: 1s, do: heal }]\n'),
    ).toEqual([expect.stringMatching(/cluster\.strategy\.prefer_iroh\[0\]/)]);
  });

  it('a generated schedule follows the seed; --seed draws another', () => {
    const i = parseIncident('name: g\nseed: 3\ngenerate: { intensity: 0.6 }\nworkload: { duration: 30s }\n');
    expect(scheduleOf(i)).toEqual(scheduleOf(i, 3));
    expect(scheduleOf(i, 4)).not.toEqual(scheduleOf(i));
  });

  it('names line, column and field of a bad enum value', () => {
    const p = problems(
      ['name: x', 'schedule:', '  - at: 1s', '    do: partition', '    kind: triangle', ''].join('\n'),
    );
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^bad\.yaml:5:5: schedule\[0\]\.kind: /);
    expect(p[0]).toMatch(/isolate/);
  });

  it('names an unknown op, an unknown field and a bad duration', () => {
    expect(problems('name: x\nschedule:\n  - { at: 1s, do: explode }\n')[0]).toMatch(
      /^bad\.yaml:3:\d+: schedule\[0\]\.do: /,
    );
    expect(problems('name: x\nschedule:\n  - { at: 1s, do: heal, nodes: 3 }\n')[0]).toMatch(
      /^bad\.yaml:3:\d+: schedule\[0\]\.nodes: unknown field/,
    );
    expect(problems('name: x\nschedule:\n  - { at: soon, do: heal }\n')[0]).toMatch(
      /^bad\.yaml:3:\d+: schedule\[0\]\.at: 'soon' is not a duration/,
    );
  });

  it('runs the real Blixard only as it can run: iroh mode, docker, a commit hash', () => {
    const head = 'name: x\nschedule:\n  - { at: 1s, do: heal }\ncluster:\n';
    expect(problems(`${head}  sut: blixard-rs\n`).join('\n')).toMatch(
      /cluster\.mode: blixard-rs is Iroh-only/,
    );
    expect(problems(`${head}  { sut: blixard-rs, mode: iroh, blixard_ref: main }\n`).join('\n')).toMatch(
      /cluster\.blixard_ref: a commit hash/,
    );
    expect(problems(`${head}  { blixard_ref: c127604 }\n`).join('\n')).toMatch(
      /blixard_ref needs sut: blixard-rs/,
    );
    expect(problems(`${head}  { blixard_members: confirmed }\n`).join('\n')).toMatch(
      /cluster\.blixard_members: blixard_members needs sut: blixard-rs/,
    );
    expect(problems(`${head}  { sut: blixard-rs, mode: iroh, blixard_members: all }\n`).join('\n')).toMatch(
      /cluster\.blixard_members: Invalid option: expected one of "joined"\|"confirmed"/,
    );
  });

  it('refuses a toxic spec that does not take on the transport, naming the field', () => {
    const p = problems(
      'name: x\nschedule:\n  - at: 1s\n    do: toxic\n    transport: tcp\n    toxic: { type: loss, attributes: { probability: 0.5 } }\n',
    );
    expect(p[0]).toMatch(
      /^bad\.yaml:6:\d+: schedule\[0\]\.toxic\.type: toxic spec: type: 'loss' exists only on udp/,
    );
    const q = problems(
      'name: x\nschedule:\n  - at: 1s\n    do: toxic\n    toxic:\n      type: latency\n      attributes: { latecy: 5 }\n',
    );
    expect(q[0]).toMatch(/^bad\.yaml:7:\d+: schedule\[0\]\.toxic\.attributes/);
  });

  it('refuses nodes and links the cluster does not have', () => {
    const p = problems(
      'name: x\ncluster: { nodes: 3 }\nschedule:\n  - { at: 1s, do: kill, node: n7 }\n  - { at: 2s, do: latency, ms: 5, links: [n1-n9] }\n',
    );
    expect(p[0]).toMatch(/^bad\.yaml:4:\d+: schedule\[0\]\.node: no node 'n7' in a 3-node cluster/);
    expect(p[1]).toMatch(/^bad\.yaml:5:\d+: schedule\[1\]\.links\[0\]: no link 'n1-n9'/);
  });

  it('names a YAML syntax error by line, and wants exactly one of schedule or generate', () => {
    expect(problems('name: x\nschedule: [\n  { at: 1s\n')[0]).toMatch(/^bad\.yaml:\d+:\d+: YAML: /);
    expect(problems('name: x\n')[0]).toMatch(/exactly one of `schedule`, `generate` or `packages`/);
    expect(problems('schedule: []\n')[0]).toMatch(/^bad\.yaml:1:1: name: /);
  });

  it('asks for nemesis packages by name or with options; the plan follows the seed', () => {
    const text = [
      'name: p',
      'seed: 5',
      'workload: { duration: 40s }',
      'packages:',
      '  - leader-kill-under-writes',
      '  - { name: transfer-under-load, transfers: 1, count: 2 }',
      '',
    ].join('\n');
    const i = parseIncident(text);
    expect(i.packages?.map((p) => p.name)).toEqual(['leader-kill-under-writes', 'transfer-under-load']);
    const s = scheduleOf(i);
    expect(s.map((x) => x.op.do)).toEqual(['kill', 'start', 'transfer', 'transfer']);
    expect(s[0]?.when).toEqual({ on: 'writes-open', min: 4, within: 3000 });
    expect(scheduleOf(i, 6)).not.toEqual(s);
    // The incident as a file again gives the same plan.
    expect(scheduleOf(parseIncident(incidentToYaml(i), 'again.yaml'))).toEqual(s);
  });

  it('names an unknown package, a bad option and packages that do not fit the duration', () => {
    const p = problems('name: x\npackages:\n  - leader-kill-under-writes\n  - leader-dance\n');
    expect(p[0]).toMatch(/^bad\.yaml:4:5: packages\[1\]\.name: .*leader-kill-under-writes/);
    const q = problems('name: x\npackages:\n  - { name: leader-kill-under-writes, fault: stop }\n');
    expect(q[0]).toMatch(/^bad\.yaml:3:\d+: packages\[0\]\.fault: .*"kill"\|"pause"/);
    const r = problems(
      'name: x\nworkload: { duration: 10s }\npackages:\n  - { name: restart-after-vote, count: 3 }\n',
    );
    expect(r[0]).toMatch(
      /^bad\.yaml:4:\d+: packages\[0\]: restart-after-vote needs 5\.5 s per occurrence; 3 occurrence\(s\) in 7\.5 s of faults leave 2\.5 s each/,
    );
    expect(problems('name: x\npackages: [transfer-under-load]\nschedule: []\n')[0]).toMatch(/exactly one of/);
  });

  it('a schedule step may wait for a trigger, validated like the rest', () => {
    const i = parseIncident(
      'name: w\nschedule:\n  - { at: 1s, do: kill, node: leader, when: { on: writes-open, min: 8, within: 2s } }\n',
    );
    expect(scheduleOf(i)[0]?.when).toEqual({ on: 'writes-open', min: 8, within: 2000 });
    expect(
      problems('name: w\nschedule:\n  - { at: 1s, do: kill, node: leader, when: { on: lunch } }\n')[0],
    ).toMatch(/^bad\.yaml:3:\d+: schedule\[0\]\.when\.on: /);
    expect(problems('name: w\nschedule:\n  - { at: 1s, do: transfer, to: n5 }\n')[0]).toMatch(
      /^bad\.yaml:3:\d+: schedule\[0\]\.to: no node 'n5' in a 3-node cluster/,
    );
  });

  it('chooses its workloads and their clients with mix; without one, clients of its type', () => {
    const i = parseIncident(
      'name: t\nschedule: []\nworkload: { mix: { register: 6, set: 1, vm: 1, task: 1, image: 1 }, keys: 4 }\n',
    );
    expect(mixOf(i.workload)).toEqual({ register: 6, set: 1, vm: 1, task: 1, image: 1 });
    expect(
      mixOf(parseIncident('name: t\nschedule: []\nworkload: { type: vm, clients: 2 }\n').workload),
    ).toEqual({
      vm: 2,
    });
    expect(mixOf(parseIncident('name: t\nschedule: []\n').workload)).toEqual({ register: 32 });
    expect(problems('name: t\nschedule: []\nworkload: { mix: { register: 0 } }\n')[0]).toMatch(
      /^bad\.yaml:3:\d+: workload\.mix: clients of all workloads must be 1\.\.64 \(got 0\)/,
    );
    expect(problems('name: t\nschedule: []\nworkload: { mix: { queue: 2 } }\n')[0]).toMatch(
      /workload\.mix\.queue: unknown field/,
    );
  });
});
