/** Reads what a run left under runs/<id>/ into the report's input (missing optional files are absent). */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LOAD_FILE, type LoadRecord } from '../../scenarios/load/index.ts';
import { readEvents, readHistory } from '../record/index.ts';
import type { RaftSample, RunFiles } from './model.ts';

async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function textsIn(dir: string, ext: string): Promise<Record<string, string>> {
  const names = (await optional(readdir(dir))) ?? [];
  const out: Record<string, string> = {};
  for (const n of names.filter((x) => x.endsWith(ext)).sort())
    out[n.slice(0, -ext.length)] = await readFile(join(dir, n), 'utf8');
  return out;
}

function parseSamples(text: string, file: string): RaftSample[] {
  const out: RaftSample[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    if (j.kind !== 'raft' || typeof j.t !== 'number' || typeof j.node !== 'string') return;
    // The sampler's records (chaos/record/sampler.ts): the node's own view under `raft`, or `ok: false`
    // when it did not answer (no point drawn for that moment).
    const raft = j.raft as Record<string, unknown> | undefined;
    if (j.ok === true && raft) {
      out.push({
        t: j.t,
        node: j.node,
        kind: 'raft',
        term: Number(raft.term),
        role: String(raft.role),
        leaderId: String(raft.leader ?? ''),
        commitIndex: Number(raft.commit),
        appliedIndex: Number(raft.applied),
      });
    } else if (typeof j.term === 'number') {
      out.push(j as unknown as RaftSample); // a flat record, as written by hand
    }
  });
  return out;
}

/** load-*.json (scenarios/load's LoadRecord), oldest first. */
async function readLoads(dir: string): Promise<LoadRecord[]> {
  const texts = await textsIn(dir, '.json');
  const out: LoadRecord[] = [];
  for (const [name, text] of Object.entries(texts)) {
    if (!LOAD_FILE.test(`${name}.json`)) continue;
    try {
      out.push(JSON.parse(text) as LoadRecord);
    } catch {
      throw new Error(`${join(dir, `${name}.json`)}: not JSON`);
    }
  }
  return out;
}

export async function readRunFiles(dir: string): Promise<RunFiles> {
  const events = (await optional(readEvents(dir))) ?? [];
  const history = (await optional(readHistory(dir))) ?? [];
  const loads = await readLoads(dir);
  if (events.length === 0 && history.length === 0 && loads.length === 0)
    throw new Error(`${dir}: not a run directory (no events.jsonl, history.jsonl or load-*.json)`);
  const verdictText = await optional(readFile(join(dir, 'verdict.json'), 'utf8'));
  let verdict: Record<string, unknown> | undefined;
  if (verdictText !== undefined) {
    try {
      verdict = JSON.parse(verdictText);
    } catch {
      throw new Error(`${join(dir, 'verdict.json')}: not JSON`);
    }
  }
  const incidentText = await optional(readFile(join(dir, 'incident.yaml'), 'utf8'));
  let incidentName: string | undefined;
  try {
    const y = incidentText ? parseYaml(incidentText) : undefined;
    if (typeof y?.name === 'string') incidentName = y.name;
  } catch {
    // The title falls back to the run-start event.
  }
  const seedText = await optional(readFile(join(dir, 'seed'), 'utf8'));
  const samplesFile = join(dir, 'samples.jsonl');
  const samplesText = await optional(readFile(samplesFile, 'utf8'));
  return {
    id: basename(dir),
    events,
    history,
    verdict,
    incidentName,
    seed: seedText !== undefined && /^\d+\s*$/.test(seedText) ? Number(seedText) : undefined,
    logs: await textsIn(join(dir, 'logs'), '.log'),
    metrics: await textsIn(join(dir, 'metrics'), '.prom'),
    samples: samplesText === undefined ? undefined : parseSamples(samplesText, samplesFile),
    ...(loads.length > 0 && { loads }),
  };
}
