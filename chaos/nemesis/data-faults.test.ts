import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../lab/runtime/index.ts';
import { WipeDataOpSchema, wipeData, wipeTargets } from './data-faults.ts';

describe('wipe-data', () => {
  it('a majority is the first ⌊n/2⌋+1 nodes in id order', () => {
    const op = WipeDataOpSchema.parse({ do: 'wipe-data' });
    expect(wipeTargets(op, ['n3', 'n1', 'n2'])).toEqual(['n1', 'n2']);
    expect(wipeTargets(op, ['n1', 'n2', 'n3', 'n4', 'n5'])).toEqual(['n1', 'n2', 'n3']);
    expect(wipeTargets(op, ['n10', 'n2', 'n1'])).toEqual(['n1', 'n2']);
  });

  it('named nodes are wiped as named', () => {
    expect(
      wipeTargets(WipeDataOpSchema.parse({ do: 'wipe-data', nodes: ['n3'] }), ['n1', 'n2', 'n3']),
    ).toEqual(['n3']);
  });

  it('refuses what is not a node id', () => {
    expect(WipeDataOpSchema.safeParse({ do: 'wipe-data', nodes: ['x'] }).success).toBe(false);
    expect(WipeDataOpSchema.safeParse({ do: 'wipe-data', nodes: [] }).success).toBe(false);
  });

  it('process runtime: kills the targets, empties their data dirs but for the Iroh key, starts them together', async () => {
    const root = await mkdtemp(join(tmpdir(), 'wipe-'));
    try {
      const calls: string[] = [];
      const nodes = await Promise.all(
        ['n1', 'n2', 'n3'].map(async (id) => {
          const dataDir = join(root, id);
          await mkdir(join(dataDir, 'raft'), { recursive: true });
          await writeFile(join(dataDir, 'raft', 'log'), 'entries');
          await writeFile(join(dataDir, 'iroh_secret.key'), 'key');
          return {
            id,
            dataDir,
            state: {},
            kill: async () => void calls.push(`kill ${id}`),
            start: async () => void calls.push(`start ${id}`),
          };
        }),
      );
      const cluster = {
        runtime: 'process',
        nodes,
        node: (id: string) => nodes.find((n) => n.id === id),
      } as unknown as Cluster;
      const r = await wipeData(cluster, WipeDataOpSchema.parse({ do: 'wipe-data' }));
      expect(r).toEqual({ nodes: ['n1', 'n2'], removed: { n1: 1, n2: 1 } });
      expect(calls).toEqual(['kill n1', 'kill n2', 'start n1', 'start n2']);
      expect(await readdir(join(root, 'n1'))).toEqual(['iroh_secret.key']);
      expect((await readdir(join(root, 'n3'))).sort()).toEqual(['iroh_secret.key', 'raft']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
