/** What the lab reads from a real Blixard node's log and from its `blixard` CLI. */

// biome-ignore lint/suspicious/noControlCharactersInRegex: tracing colours its output
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * The node's ticket from its start-up line `Node ticket for discovery: node…`, the last one logged
 * (every start makes a new Iroh key), if any yet.
 */
export function ticketFromLog(log: string): string | undefined {
  const all = [...log.replace(ANSI, '').matchAll(/Node ticket for discovery: (node[a-z0-9]+)/g)];
  return all.at(-1)?.[1];
}

/**
 * The voters of the node's running Raft configuration, from the last `switched to configuration`
 * line raft-rs logged (its incoming voters), if any yet.
 */
export function votersFromLog(log: string): number[] | undefined {
  const all = [
    ...log
      .replace(ANSI, '')
      .matchAll(/switched to configuration.*?incoming: Configuration \{ voters: \{([\d, ]*)\}/g),
  ];
  const last = all.at(-1)?.[1];
  if (last === undefined) return undefined;
  return last
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map(Number)
    .sort((a, b) => a - b);
}

export interface BlixardClusterStatus {
  /** The answering node's leader, or undefined when it knows none. */
  leader: number | undefined;
  term: number;
  /** Each node the answering node lists, with its role as that node sees it. */
  nodes: { id: number; address: string; role: string }[];
}

/** Blixard's "no leader" (u64::MAX in `get_cluster_status`). */
const NO_LEADER = '18446744073709551615';

/** Parses `blixard cluster status` output; throws naming the line it could not read. */
export function parseClusterStatus(text: string): BlixardClusterStatus {
  const plain = text.replace(ANSI, '');
  const leader = /^\s*Leader ID: (\d+)\s*$/m.exec(plain)?.[1];
  const term = /^\s*Term: (\d+)\s*$/m.exec(plain)?.[1];
  if (leader === undefined || term === undefined)
    throw new Error(
      `blixard cluster status: no 'Leader ID:' and 'Term:' lines in: ${plain.trim().slice(0, 300)}`,
    );
  const nodes = [...plain.matchAll(/^\s*- Node (\d+): (\S*) \((\w+)\)\s*$/gm)].map((m) => ({
    id: Number(m[1]),
    address: m[2] as string,
    role: (m[3] as string).toLowerCase(),
  }));
  return { leader: leader === NO_LEADER ? undefined : Number(leader), term: Number(term), nodes };
}
