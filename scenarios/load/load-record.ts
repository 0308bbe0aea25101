/**
 * What a load run leaves in the lab's run directory (`load-<time>.json`), read back by the run's
 * report: the run's settings, each transport's figures with a per-second timeline, and the
 * thresholds it broke.
 */

import type { OpenLoopResult } from './open-loop.ts';
import type { Breach } from './slo.ts';

export type TransportFigures = Omit<OpenLoopResult, 'histogram'>;

export interface LoadRecord {
  /** `load-<time>`: the file's name without .json, and the `load` label of its Prometheus series. */
  id: string;
  /** When the load began (ISO 8601). */
  startedAt: string;
  rate: number;
  durationMs: number;
  mix: string;
  nodes: string[];
  slo: string[];
  transports: Record<string, TransportFigures>;
  breaches: (Breach & { transport: string })[];
}

/** The record's id for a load that began at `at`: sorts by time, safe as a file name and a label. */
export function loadId(at: Date): string {
  return `load-${at.toISOString().replace(/[:.]/g, '-')}`;
}

export const LOAD_FILE = /^load-.*\.json$/;
