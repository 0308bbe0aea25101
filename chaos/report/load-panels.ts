/**
 * The report's load panels, from the `load-<time>.json` files `lab load` left in a lab's run
 * directory (scenarios/load's LoadRecord): answers and errors per second, and p50/p99 latency per
 * second (from the intended send time), per transport, on the clock of the latest load.
 */
import type { LoadRecord } from '../../scenarios/load/index.ts';
import type { Missing, ReportModel, Series, SeriesPanel } from './model.ts';

export interface LoadPanels {
  throughput: SeriesPanel | Missing;
  latency: SeriesPanel | Missing;
}

export function loadPanels(loads: readonly LoadRecord[]): LoadPanels | undefined {
  const latest = [...loads].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1);
  if (!latest) return undefined;
  const transports = Object.entries(latest.transports);
  const seconds = Math.max(0, ...transports.flatMap(([, t]) => (t.timeline ?? []).map((w) => w.second)));
  const x = Array.from({ length: seconds + 1 }, (_, i) => i);
  const column = (timeline: readonly { second: number }[], pick: (i: number) => number | null) => {
    const at = new Map(timeline.map((w, i) => [w.second, i]));
    return x.map((sec) => {
      const i = at.get(sec);
      return i === undefined ? null : pick(i);
    });
  };
  const throughput: Series[] = [];
  const latency: Series[] = [];
  for (const [kind, t] of transports) {
    const tl = t.timeline ?? [];
    throughput.push(
      { label: `${kind} answered/s`, values: column(tl, (i) => tl[i]?.ok ?? null) },
      { label: `${kind} failed/s`, values: column(tl, (i) => tl[i]?.errors ?? null) },
    );
    latency.push(
      { label: `${kind} p50`, values: column(tl, (i) => tl[i]?.p50 ?? null) },
      { label: `${kind} p99`, values: column(tl, (i) => tl[i]?.p99 ?? null) },
    );
  }
  const others = loads.length > 1 ? ` (the latest of ${loads.length} loads in this run)` : '';
  const note = `${latest.id}${others}: ${latest.rate}/s for ${latest.durationMs / 1000} s on ${latest.nodes.join(', ')}, mix ${latest.mix}; latency from each request's intended send time; x is seconds since the load began, by the second each request ended in`;
  const missing = { missing: `${latest.id} has no per-second figures (written before they were recorded)` };
  if (x.length === 0 || transports.every(([, t]) => (t.timeline ?? []).length === 0))
    return { throughput: missing, latency: missing };
  return {
    throughput: { x, series: throughput, unit: 'requests/s', note },
    latency: { x, series: latency, unit: 'ms', note },
  };
}

/** The model with the load panels of `loads` (none when there are none). */
export function withLoadPanels(model: ReportModel, loads: readonly LoadRecord[] | undefined): ReportModel {
  const panels = loadPanels(loads ?? []);
  return panels ? { ...model, loadThroughput: panels.throughput, loadLatency: panels.latency } : model;
}
