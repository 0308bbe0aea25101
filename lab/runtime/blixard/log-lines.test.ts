import { describe, expect, it } from 'vitest';
import { parseClusterStatus, ticketFromLog, votersFromLog } from './log-lines.ts';

describe('ticketFromLog', () => {
  it('finds the last ticket a node logged, colours and all', () => {
    const log = [
      '\x1b[2m2025-08-18T10:00:00Z\x1b[0m \x1b[32m INFO\x1b[0m Node ticket for discovery: nodeabc123',
      'INFO Raft ready',
      'INFO Node ticket for discovery: nodedef456',
    ].join('\n');
    expect(ticketFromLog(log)).toBe('nodedef456');
  });

  it('is undefined before the line is logged', () => {
    expect(ticketFromLog('INFO Initializing Iroh transport')).toBeUndefined();
  });
});

describe('votersFromLog', () => {
  it("reads the voters of the last configuration raft-rs switched to, as Blixard's log prints it", () => {
    const line = (voters: string) =>
      `Nov 30 10:55:07.944 INFO switched to configuration, config: Configuration { voters: Configuration { incoming: Configuration { voters: {${voters}} }, outgoing: Configuration { voters: {} } }, learners: {}, learners_next: {}, auto_leave: false }, raft_id: 2, module: raft, node_id: 2`;
    expect(votersFromLog([line(''), 'INFO became follower at term 1', line('3')].join('\n'))).toEqual([3]);
    expect(votersFromLog([line('3'), line('2, 1, 3')].join('\n'))).toEqual([1, 2, 3]);
    expect(votersFromLog(line(''))).toEqual([]);
    expect(votersFromLog('INFO RawNode created with id 2.')).toBeUndefined();
  });
});

describe('parseClusterStatus', () => {
  it('reads leader, term and each listed node with its role', () => {
    const out = [
      'Cluster Status:',
      '  Leader ID: 2',
      '  Term: 7',
      '  Nodes in cluster:',
      '    - Node 1: 0.0.0.0:7001 (Follower)',
      '    - Node 2: 10.0.0.2:50002 (Leader)',
      '    - Node 3:  (Unknown)',
      '',
    ].join('\n');
    expect(parseClusterStatus(out)).toEqual({
      leader: 2,
      term: 7,
      nodes: [
        { id: 1, address: '0.0.0.0:7001', role: 'follower' },
        { id: 2, address: '10.0.0.2:50002', role: 'leader' },
        { id: 3, address: '', role: 'unknown' },
      ],
    });
  });

  it("reads Blixard's u64::MAX leader as no leader", () => {
    const s = parseClusterStatus('Cluster Status:\n  Leader ID: 18446744073709551615\n  Term: 3\n');
    expect(s.leader).toBeUndefined();
    expect(s.term).toBe(3);
  });

  it('names what it could not read', () => {
    expect(() => parseClusterStatus('Error: Failed to connect to node')).toThrow(
      /no 'Leader ID:' and 'Term:' lines in: Error: Failed to connect/,
    );
  });
});
