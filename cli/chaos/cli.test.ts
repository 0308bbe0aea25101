/**
 * `lab chaos ...` as a user runs it against a lab that `lab up` left running (process runtime):
 * faults, heal and node faults through the CLI, recorded in the lab's events.jsonl; bad arguments and
 * malformed incident files exit 2 naming the field (and line), and change nothing.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_START_MS, isOurs, REPO_ROOT, readState } from '../../lab/runtime/index.ts';
import { type LabRun, runLab } from '../run-lab.ts';

let dir: string;
let stateFile: string;

/**
 * How long one command may take: the CLI's start on a loaded host plus the bound the command keeps
 * itself — `up` waits for every node's health and for Prometheus (60 s each), `start`/`resume` for
 * the node to answer (the nemesis' 30 s).
 */
function boundOf(args: readonly string[]): number {
  if (args[0] === 'up') return CLI_START_MS + 60_000 + 60_000;
  if (args[0] === 'chaos' && ['start', 'restart', 'resume'].includes(args[1] ?? ''))
    return CLI_START_MS + 30_000;
  return CLI_START_MS;
}

/** A test's budget: the bounds of the commands it runs, in order. */
function budget(...commands: (readonly string[])[]): number {
  return commands.reduce((sum, args) => sum + boundOf(args), 0);
}

/** Runs `lab ...`; past its bound it is interrupted (SIGINT: `up` removes what it made) and says so. */
function lab(...args: string[]): Promise<LabRun> {
  return runLab(stateFile, args, {}, boundOf(args));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-chaos-cli-'));
  stateFile = join(dir, 'state.json');
});

afterAll(async () => {
  const state = await readState(stateFile);
  // Only when this test's lab is up: `lab down` without one also sweeps docker resources of every lab.
  if (state) {
    await lab('down');
    for (const n of state.nodes) if (n.proc) expect(await isOurs(n.proc)).toBe(false);
  }
  await rm(dir, { recursive: true, force: true });
});

describe('lab chaos', () => {
  it(
    'refuses bad arguments and malformed incident files with status 2, naming field and line',
    async () => {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'name: x\nschedule:\n  - at: 1s\n    do: latency\n    ms: fast\n');
      const r = await lab('chaos', 'run', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${bad}:5:5: schedule[0].ms:`);
      const toxic = join(dir, 'toxic.yaml');
      await writeFile(
        toxic,
        'name: x\nschedule:\n  - { at: 1s, do: toxic, transport: tcp, toxic: { type: loss } }\n',
      );
      const t = await lab('chaos', 'run', toxic);
      expect(t.code).toBe(2);
      expect(t.stderr).toMatch(/toxic\.type: toxic spec: type: 'loss' exists only on udp/);
      for (const [args, text] of [
        [['chaos', 'latency', 'abc'], /ms: 'abc' is not a number/],
        [['chaos', 'partition', 'triangle'], /kind: Invalid option/],
        [['chaos', 'loss', '1.5'], /probability/],
        [['chaos', 'partition', 'halves', '--transport', 'carrier'], /transport/],
        [['chaos', 'mode', 'quic'], /mode/],
      ] as const) {
        const res = await lab(...args);
        expect(res.code, args.join(' ')).toBe(2);
        expect(res.stderr).toMatch(text);
      }
    },
    budget(['chaos', 'run'], ['chaos', 'run'], ...Array.from({ length: 5 }, () => ['chaos'])),
  );

  it(
    'says so when no lab is up',
    async () => {
      const r = await lab('chaos', 'heal');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no lab is up/);
    },
    budget(['chaos', 'heal']),
  );

  it(
    'partitions, delays, kills and restarts nodes of a running lab, and records each in its events',
    async () => {
      const up = await lab('up', '--runtime', 'process', '--nodes', '3', '--mode', 'dual', '--seed', '4');
      expect(up.code, up.stderr).toBe(0);
      const p = await lab('chaos', 'partition', 'isolate', '--node', 'n2');
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout).toMatch(/cut n1-n2 n2-n1 n2-n3 n3-n2, on tcp\+udp/);
      expect((await lab('chaos', 'heal')).code).toBe(0);
      const l = await lab(
        'chaos',
        'latency',
        '100',
        '--jitter',
        '5',
        '--link',
        'client-n1',
        '--transport',
        'tcp',
      );
      expect(l.code, l.stderr).toBe(0);
      expect(l.stdout).toMatch(/1 links, on tcp/);
      // On the TCP side of client-n1 only: Toxiproxy has the toxic, the UDP proxy has none.
      const hub = (await readState(stateFile))?.hub;
      const toxics = async (admin: string | undefined) =>
        (
          (await (await fetch(`${admin}/proxies/client-n1/toxics`)).json()) as {
            name: string;
            attributes: unknown;
          }[]
        ).map((t) => [t.name, t.attributes]);
      expect(await toxics(hub?.tcpAdmin)).toEqual([['nemesis_latency', { latency: 100, jitter: 5 }]]);
      expect(await toxics(hub?.udpAdmin)).toEqual([]);
      expect((await lab('chaos', 'heal')).code).toBe(0);
      const k = await lab('chaos', 'kill', 'n3');
      expect(k.code, k.stderr).toBe(0);
      const s = await lab('chaos', 'start', 'n3');
      expect(s.code, s.stderr).toBe(0);
      // The new process is in the state file, so the next command finds it.
      const state = await readState(stateFile);
      const n3 = state?.nodes.find((n) => n.id === 'n3');
      expect(n3?.proc && (await isOurs(n3.proc))).toBe(true);
      expect((await lab('chaos', 'pause', 'n3')).code).toBe(0);
      expect((await lab('chaos', 'resume', 'n3')).code).toBe(0);

      const events = (await readFile(join(state?.workDir ?? '', 'events.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; op: { do: string } });
      expect(events.map((e) => `${e.kind}:${e.op.do}`)).toEqual([
        'fault:partition',
        'heal:heal',
        'fault:latency',
        'heal:heal',
        'fault:kill',
        'restart:start',
        'fault:pause',
        'heal:resume',
      ]);
    },
    budget(
      ['up'],
      ...['partition', 'heal', 'latency', 'heal', 'kill', 'start', 'pause', 'resume'].map((op) => [
        'chaos',
        op,
      ]),
    ),
  );

  it(
    'migrates the running lab by a rollout file, in place; refuses a bad file or an impossible plan with 2',
    async () => {
      const bad = join(dir, 'bad.rollout.yaml');
      await writeFile(bad, 'name: x\nsteps:\n  - { nodes: all, mode: quic }\n');
      const b = await lab('migrate', bad);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain(`${bad}:3:19: steps[0].mode: Invalid option`);
      const refused = await lab(
        'migrate',
        join(REPO_ROOT, 'scenarios/migration/mixed-modes-refused.rollout.yaml'),
      );
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(
        /steps\[1\]: once n3 has changed: n1 \(grpc\) and n3 \(iroh\) share no transport/,
      );

      const rollout = join(dir, 'groups.rollout.yaml');
      await writeFile(
        rollout,
        [
          'name: groups to iroh',
          'order: [n1, n2, n3]',
          'watch: 2s',
          'gates: { election_stability: 50%, min_calls: 1000000 }',
          'steps:',
          '  - { name: canary, nodes: 1, prefer_iroh: [health, status] }',
          '  - { name: all, nodes: all, prefer_iroh: all, raft_transport: iroh }',
          '',
        ].join('\n'),
      );
      const m = await lab('migrate', rollout);
      expect(m.code, m.stderr).toBe(0);
      expect(m.stdout).toMatch(/rollout groups to iroh: completed \(canary → all\)/);
      // In place: the same processes, each reporting the strategy it was given.
      const state = await readState(stateFile);
      for (const n of state?.nodes ?? []) expect(n.proc && (await isOurs(n.proc))).toBe(true);
      const status = await lab(
        'call',
        'n3',
        'ClusterService/GetClusterStatus',
        '{"consistency":"READ_CONSISTENCY_LOCAL"}',
      );
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).strategy).toMatchObject({
        raftTransport: 'iroh',
        fallbackToGrpc: true,
      });
      const kinds = (await readFile(join(state?.workDir ?? '', 'events.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { kind: string }).kind)
        .filter((k) => k.startsWith('rollout'));
      expect(kinds).toEqual(['rollout-step', 'rollout-step', 'rollout']);
    },
    budget(['migrate'], ['migrate'], ['migrate'], ['call']) + 2 * 2000 + 3 * 10_000,
  );
});
