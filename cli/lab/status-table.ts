/** `lab status` output: a table for people, JSON for scripts. Pure: takes what was measured. */
import Table from 'cli-table3';
import type { ClusterState, NodeStatus } from '../../lab/runtime/index.ts';

export interface StatusReport {
  runId: string;
  runtime: string;
  /** The system under test: `reference`, or `blixard-rs <commit>`. */
  sut: string;
  mode: string;
  createdAt: string;
  hub: { tcpAdmin: string; udpAdmin: string };
  prometheus?: string | undefined;
  nodes: (NodeStatus & {
    mode: string;
    running: boolean;
    addresses: { grpc: string; iroh: string; metrics: string };
  })[];
}

export function statusReport(
  state: ClusterState,
  statuses: readonly NodeStatus[],
  running: readonly boolean[],
): StatusReport {
  return {
    runId: state.runId,
    runtime: state.runtime,
    sut: state.blixard ? `blixard-rs ${state.blixard.commit.slice(0, 12)}` : 'reference',
    mode: state.mode,
    createdAt: state.createdAt,
    hub: { tcpAdmin: state.hub.tcpAdmin, udpAdmin: state.hub.udpAdmin },
    prometheus: state.prometheus?.url,
    nodes: state.nodes.map((n, i) => {
      const s = statuses[i];
      if (!s) throw new Error(`no status for ${n.id}`);
      return {
        ...s,
        mode: n.mode,
        running: running[i] ?? false,
        addresses: { grpc: n.clientGrpc, iroh: n.clientIroh, metrics: n.metrics },
      };
    }),
  };
}

function healthText(n: StatusReport['nodes'][number]): string {
  if (!n.running) return 'stopped';
  const parts = Object.entries(n.transports).map(([t, h]) => `${t} ${h?.ok ? 'ok' : 'FAIL'}`);
  return `${n.health} (${parts.join(', ')})`;
}

export function renderStatusTable(report: StatusReport): string {
  const table = new Table({
    head: ['node', 'role', 'term', 'commit', 'mode', 'health', 'addresses'],
    style: { head: [], border: [] },
  });
  for (const n of report.nodes) {
    const addrs = [`grpc ${n.addresses.grpc}`, `iroh ${n.addresses.iroh}`, `metrics ${n.addresses.metrics}`];
    if (n.mode === 'grpc') addrs.splice(1, 1);
    if (n.mode === 'iroh') addrs.splice(0, 1);
    table.push([n.id, n.role, n.term, n.commit, n.mode, healthText(n), addrs.join('\n')]);
  }
  const lines = [
    `lab ${report.runId}: ${report.nodes.length} nodes (${report.sut}), ${report.runtime} runtime, ${report.mode} mode (up since ${report.createdAt})`,
    table.toString(),
    `hub: toxiproxy ${report.hub.tcpAdmin}  udp proxy ${report.hub.udpAdmin}`,
  ];
  if (report.prometheus) lines.push(`prometheus: ${report.prometheus}`);
  return `${lines.join('\n')}\n`;
}
