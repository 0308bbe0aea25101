/**
 * One short chaos run on docker with every workload (registers, sets, VMs, tasks, images) while the
 * leader is isolated, a node paused and another killed and started again: the run's history holds
 * every kind of op with invoke and completion, its samples hold Raft views and guest process lists
 * of every node (and the silence of the paused one), refusals are `fail`, and every acknowledged set
 * add is in the set's final read. Skipped where no Docker engine answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerReachable } from '../../lab/runtime/index.ts';
import { REFUSED } from '../../node/cluster/index.ts';
import { FNS, WORKLOADS, type WorkloadEntry } from '../../scenarios/workloads/index.ts';
import { readHistory, readSamples, type Sample } from '../record/index.ts';
import { parseIncident } from '../schedule/index.ts';
import { runIncident } from './run.ts';

const docker = await dockerReachable();

const INCIDENT = `
name: every workload under faults
seed: 15
self_check: false        # proven elsewhere (nemesis/docker.test.ts); this run is about what is recorded
cluster: { nodes: 3, mode: dual, runtime: docker }
workload:
  mix: { register: 8, set: 2, vm: 2, task: 1, image: 1, status: 1 }
  keys: 6
  duration: 16s
  timeout: 2s
schedule:
  - { at: 3s, do: partition, kind: leader }
  - { at: 6s, do: heal }
  - { at: 7s, do: pause, node: n2 }
  - { at: 9s, do: resume, node: n2 }
  - { at: 10s, do: kill, node: n3 }
  - { at: 12s, do: start, node: n3 }
`;

const dirs: string[] = [];
afterAll(async () => {
  if (!process.env.KEEP_RUNS) await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.skipIf(!docker)('a docker chaos run with every workload', () => {
  it('records every kind of op and sample; refusals are fail; no acknowledged add is lost', async () => {
    const runsDir = await mkdtemp(join(tmpdir(), 'runs-'));
    dirs.push(runsDir);
    const run = await runIncident({ incident: parseIncident(INCIDENT, 'every-workload.yaml'), runsDir });
    const { verdict } = run;
    expect(verdict.status, verdict.reason).not.toBe('aborted');
    expect(verdict.nemesisErrors).toEqual([]);

    const history = await readHistory(run.dir);
    const completed = (f: string) => history.filter((e) => e.f === f && e.type !== 'invoke');
    for (const w of WORKLOADS) {
      for (const f of FNS[w]) {
        expect(completed(f).length, `completions of ${f}`).toBeGreaterThan(0);
        expect(
          history.filter((e) => e.f === f && e.type === 'invoke').length,
          `invokes of ${f}`,
        ).toBeGreaterThan(0);
      }
      const okOps = history.filter((e) => e.type === 'ok' && (e.workload ?? 'register') === w);
      expect(okOps.length, `ok ops of ${w}`).toBeGreaterThan(0);
    }
    const invokes = history.filter((e) => e.type === 'invoke');
    expect(new Set(invokes.map((e) => e.node))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(new Set(invokes.map((e) => e.transport))).toEqual(new Set(['grpc', 'iroh']));
    // A refusal before proposing certainly did not happen.
    for (const e of history.filter((e) => e.error?.startsWith(`UNAVAILABLE: ${REFUSED}`)))
      expect(e.type, JSON.stringify(e)).toBe('fail');

    // Every set add acknowledged is in that set's final read; nothing read was never added.
    const byId = new Map<number, WorkloadEntry>();
    for (const e of history) if (e.type === 'invoke') byId.set(e.id, e);
    const tried = new Set(invokes.filter((e) => e.f === 'set-add').map((e) => e.value));
    const finals = history.filter((e) => e.f === 'set-read' && e.final && e.type === 'ok');
    expect(finals.length).toBeGreaterThan(0);
    for (const read of finals) {
      const acked = history.filter((e) => e.f === 'set-add' && e.type === 'ok' && e.key === read.key);
      const last = byId.get(read.id);
      expect(last?.time).toBeLessThan(read.time);
      for (const add of acked) expect(read.elements, `${add.value} in ${read.key}`).toContain(add.value);
      for (const el of read.elements ?? []) expect(tried.has(el), `${el} was added by someone`).toBe(true);
    }

    const samples = await readSamples<Sample>(run.dir);
    for (const node of ['n1', 'n2', 'n3']) {
      for (const kind of ['raft', 'guests'] as const)
        expect(
          samples.filter((s) => s.node === node && s.kind === kind && s.ok).length,
          `${kind} samples of ${node}`,
        ).toBeGreaterThan(0);
    }
    // The paused node did not answer for a while: the samplers say so rather than skip it.
    expect(samples.some((s) => s.node === 'n2' && s.kind === 'raft' && !s.ok)).toBe(true);
    expect(samples.some((s) => s.node === 'n2' && s.kind === 'guests' && !s.ok)).toBe(true);
    // A VM ran somewhere, and the guest sampler saw its process.
    expect(samples.some((s) => s.kind === 'guests' && s.ok && s.guests.length > 0)).toBe(true);
    expect(verdict.samples?.raft).toBeGreaterThan(0);
  }, 300_000);
});
