/**
 * One node's status as the lab sees it through its client links: health on each transport, and the
 * Raft view (role, term, commit) when the node answers GetRaftStatus or GetClusterStatus. A node
 * that does not implement them yet shows "unknown".
 */

import { ReadConsistency } from '../../node/gen/blixard_pb.js';
import type { TransportKind } from '../../node/transport/index.ts';
import { Code, codeName, RpcError } from '../../node/transport/index.ts';
import type { ServiceClients } from './lab-client.ts';

export interface TransportHealth {
  ok: boolean;
  /** Round trip of the HealthCheck call, ms. */
  ms?: number;
  error?: string;
}

export interface NodeStatus {
  id: string;
  health: 'healthy' | 'degraded' | 'down';
  transports: Partial<Record<TransportKind, TransportHealth>>;
  role: string;
  term: string;
  commit: string;
  leader: string;
}

const ROLES: Record<number, string> = {
  1: 'follower',
  2: 'candidate',
  3: 'leader',
  4: 'learner',
  5: 'pre-candidate',
};

export const UNKNOWN = 'unknown';

function describe(err: unknown): string {
  if (err instanceof RpcError) return `${codeName(err.code)}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export async function checkHealth(clients: ServiceClients, timeoutMs = 3000): Promise<TransportHealth> {
  const started = performance.now();
  try {
    const reply = await clients.cluster.healthCheck({}, { timeoutMs });
    const ms = performance.now() - started;
    return reply.healthy ? { ok: true, ms } : { ok: false, ms, error: reply.message || 'not healthy' };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

interface RaftView {
  role: string;
  term: string;
  commit: string;
  leader: string;
}

async function raftView(clients: ServiceClients, id: string, timeoutMs: number): Promise<RaftView> {
  const view: RaftView = { role: UNKNOWN, term: UNKNOWN, commit: UNKNOWN, leader: UNKNOWN };
  try {
    const r = await clients.blixard.getRaftStatus({}, { timeoutMs });
    return {
      role: ROLES[r.role] ?? UNKNOWN,
      term: String(r.term),
      commit: String(r.commitIndex),
      leader: r.leaderId || '-',
    };
  } catch (err) {
    if (!(err instanceof RpcError) || err.code !== Code.UNIMPLEMENTED) return view;
  }
  try {
    const c = await clients.cluster.getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs });
    return {
      role: c.leaderId === '' ? UNKNOWN : c.leaderId === id ? 'leader' : 'follower',
      term: String(c.term),
      commit: String(c.commitIndex),
      leader: c.leaderId || '-',
    };
  } catch {
    return view;
  }
}

/** Health over every transport given, and the Raft view over the first healthy one. */
export async function queryNodeStatus(
  id: string,
  clients: readonly ServiceClients[],
  timeoutMs = 3000,
): Promise<NodeStatus> {
  const transports: Partial<Record<TransportKind, TransportHealth>> = {};
  const results = await Promise.all(clients.map((c) => checkHealth(c, timeoutMs)));
  clients.forEach((c, i) => {
    transports[c.transport] = results[i] as TransportHealth;
  });
  const healthyCount = results.filter((r) => r.ok).length;
  const health = healthyCount === 0 ? 'down' : healthyCount === clients.length ? 'healthy' : 'degraded';
  const via = clients.find((_, i) => results[i]?.ok);
  const view = via
    ? await raftView(via, id, timeoutMs)
    : { role: UNKNOWN, term: UNKNOWN, commit: UNKNOWN, leader: UNKNOWN };
  return { id, health, transports, ...view };
}
