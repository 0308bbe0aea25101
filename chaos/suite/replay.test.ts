/**
 * A recorded run replays from its directory and seed: a new cluster, the same fault schedule, the
 * same nemesis event sequence; the record holds everything the design names.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventSignature, readEvents, readHistory } from '../record/index.ts';
import { parseIncident, scheduleOf } from '../schedule/index.ts';
import { loadReplay, runIncident } from './run.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const INCIDENT = `
name: replay test
seed: 2024
# Iroh paths can leave the hub on loopback; this test is about replay, not about faults taking.
self_check: false
cluster: { nodes: 3, mode: dual, runtime: process }
workload: { clients: 2, keys: 2, duration: 6s, timeout: 1s }
generate:
  intensity: 0.7
  faults: [partition, latency, loss, kill, pause]
  mean_fault: 800ms
`;

describe('recorded runs', () => {
  it('replaying a run from its directory reproduces the same event sequence from its seed', async () => {
    const runsDir = await mkdtemp(join(tmpdir(), 'runs-'));
    dirs.push(runsDir);
    const incident = parseIncident(INCIDENT, 'replay.yaml');
    expect(scheduleOf(incident).length).toBeGreaterThanOrEqual(4);

    const first = await runIncident({ incident, runsDir });
    const files = await readdir(first.dir);
    for (const f of [
      'config.json',
      'seed',
      'events.jsonl',
      'history.jsonl',
      'incident.yaml',
      'verdict.json',
      'logs',
      'metrics',
      'report.html',
    ])
      expect(files).toContain(f);
    // The run drawn, and listed in the index of the runs beside it.
    expect(await readFile(join(runsDir, 'index.html'), 'utf8')).toContain(`<tr data-run="${first.id}"`);
    expect((await readFile(join(first.dir, 'seed'), 'utf8')).trim()).toBe('2024');
    expect(await readdir(join(first.dir, 'logs'))).toEqual(['n1.log', 'n2.log', 'n3.log']);
    expect(await readFile(join(first.dir, 'metrics', 'n1.prom'), 'utf8')).toMatch(/^# (HELP|TYPE) /m);
    const history = await readHistory(first.dir);
    expect(history.filter((e) => e.type === 'invoke').length).toBeGreaterThan(10);
    expect(new Set(history.map((e) => e.transport))).toEqual(new Set(['grpc', 'iroh']));
    expect(first.verdict.linearizable).toBe(true);

    const original = await readEvents(first.dir);
    const replayed = await loadReplay(first.dir);
    expect(replayed.seed).toBe(2024);
    const second = await runIncident({ ...replayed, runsDir });
    expect(second.dir).not.toBe(first.dir);

    const a = eventSignature(original);
    const b = eventSignature(await readEvents(second.dir));
    // Every scheduled fault and its recovery, then the final heal.
    expect(a.length).toBeGreaterThanOrEqual(scheduleOf(incident).length);
    expect(b).toEqual(a);
    expect(original.filter((e) => e.kind === 'nemesis-error')).toEqual([]);
  });

  it('another seed gives another schedule; the file alone replays with its own seed', async () => {
    const incident = parseIncident(INCIDENT, 'replay.yaml');
    expect(scheduleOf(incident, 2025)).not.toEqual(scheduleOf(incident, 2024));
    const dir = await mkdtemp(join(tmpdir(), 'incident-'));
    dirs.push(dir);
    const file = join(dir, 'i.yaml');
    await writeFile(file, INCIDENT);
    const fromFile = await loadReplay(file);
    expect(fromFile.seed).toBe(2024);
    expect(scheduleOf(fromFile.incident, fromFile.seed)).toEqual(scheduleOf(incident));
    await expect(loadReplay(dir)).rejects.toThrow(/not a recorded run/);
  });
});
