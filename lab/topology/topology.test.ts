import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../../node/config/index.ts';
import { defaultStrategy, TRANSPORT_MODES } from '../../node/transport/index.ts';
import {
  CLIENT,
  dockerAddressing,
  findLink,
  linkCount,
  planTopology,
  processAddressing,
  processPortCount,
  readNodeConfig,
  renderNodeConfig,
  writeNodeMode,
  writeNodeSettings,
} from './index.ts';

const ids = {
  n1: '1'.repeat(64),
  n2: '2'.repeat(64),
  n3: '3'.repeat(64),
};
const clientId = 'c'.repeat(64);

describe('link plan', () => {
  it('has one link per ordered pair of nodes and one from the client to each node', () => {
    const topo = planTopology(3, dockerAddressing());
    expect(topo.links).toHaveLength(linkCount(3));
    const names = topo.links.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    for (const from of [CLIENT, 'n1', 'n2', 'n3']) {
      for (const to of ['n1', 'n2', 'n3']) {
        if (from === to) expect(names).not.toContain(`${from}-${to}`);
        else expect(names).toContain(`${from}-${to}`);
      }
    }
  });

  it('gives each link its own hub port, forwarding TCP to gRPC and UDP to Iroh of the target', () => {
    const topo = planTopology(4, dockerAddressing());
    const ports = topo.links.map((l) => l.port);
    expect(new Set(ports).size).toBe(ports.length);
    const link = findLink(topo, 'n2', 'n4');
    expect(link.tcp).toEqual({ listen: `0.0.0.0:${link.port}`, upstream: 'n4:7001' });
    expect(link.udp).toEqual({ listen: `0.0.0.0:${link.port}`, upstream: 'n4:7002' });
    expect(link.dial).toBe(`hub:${link.port}`);
    expect(topo.nodes.every((n) => n.grpcBind === '0.0.0.0:7001' && n.metricsBind === '0.0.0.0:9100')).toBe(
      true,
    );
  });

  it('puts every process-runtime port in one block on loopback, none shared', () => {
    const base = 30000;
    const topo = planTopology(3, processAddressing(3, base));
    const all = [
      ...topo.nodes.flatMap((n) => [n.ports.grpc, n.ports.iroh, n.ports.metrics]),
      ...topo.links.map((l) => l.port),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBe(base);
    expect(Math.max(...all)).toBe(base + processPortCount(3) - 1);
    expect(topo.links.every((l) => l.tcp.listen.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('refuses sizes and port ranges it cannot plan', () => {
    expect(() => planTopology(0, dockerAddressing())).toThrow(/nodes/);
    expect(() => planTopology(1.5, dockerAddressing())).toThrow(/nodes/);
    expect(() => processAddressing(3, 65530)).toThrow(/base port/);
  });
});

describe('node configs', () => {
  for (const mode of TRANSPORT_MODES) {
    it(`are valid node configs in ${mode} mode, reaching each peer only through its own link`, () => {
      const topo = planTopology(3, processAddressing(3, 30000));
      for (const node of topo.nodes) {
        const text = renderNodeConfig(topo, node.id, {
          mode,
          irohIds: ids,
          admittedClients: [clientId],
          dataDir: `/tmp/lab/${node.id}`,
        });
        const cfg = parseNodeConfig(text, `${node.id}.toml`);
        expect(cfg.node.id).toBe(node.id);
        expect(cfg.transport.mode).toBe(mode);
        expect(cfg.transport.grpc.bind_address).toBe(node.grpcBind);
        expect(cfg.transport.iroh.bind_address).toBe(node.irohBind);
        expect(cfg.transport.iroh.admitted_clients).toEqual([clientId]);
        expect(cfg.transport.iroh.secret_key_file).toBe(`/tmp/lab/${node.id}/iroh_secret.key`);
        expect(cfg.cluster.peers.map((p) => p.id).sort()).toEqual(
          topo.nodes.filter((n) => n.id !== node.id).map((n) => n.id),
        );
        for (const peer of cfg.cluster.peers) {
          const link = findLink(topo, node.id, peer.id);
          expect(peer.grpc).toBe(mode === 'iroh' ? undefined : link.dial);
          expect(peer.iroh_addrs).toEqual(mode === 'grpc' ? [] : [link.dial]);
          expect(peer.iroh_id).toBe(mode === 'grpc' ? undefined : ids[peer.id as keyof typeof ids]);
        }
        // No direct address of any node appears in another node's config.
        for (const other of topo.nodes.filter((n) => n.id !== node.id)) {
          expect(text).not.toContain(other.grpcAddress);
          expect(text).not.toContain(other.irohAddress);
        }
      }
    });
  }

  it('carries a migration strategy, and keeps gRPC mode on gRPC by default', () => {
    const topo = planTopology(2, dockerAddressing());
    const dual = parseNodeConfig(
      renderNodeConfig(topo, 'n1', {
        mode: 'dual',
        strategy: {
          preferIroh: ['health', 'status'],
          raftTransport: { adaptive: { latencyThresholdMs: 10 } },
          fallbackToGrpc: true,
        },
        irohIds: ids,
        admittedClients: [],
        dataDir: '/var/lib/blixard',
      }),
    );
    expect(dual.transport.migration).toEqual({
      prefer_iroh: ['health', 'status'],
      raft_transport: { adaptive: { latency_threshold_ms: 10 } },
      fallback_to_grpc: true,
    });
    expect(defaultStrategy('grpc')).toEqual({ preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: false });
  });

  it('names the join token file only when given one', () => {
    const topo = planTopology(2, dockerAddressing());
    const input = { mode: 'dual' as const, irohIds: ids, admittedClients: [], dataDir: '/var/lib/blixard' };
    expect(parseNodeConfig(renderNodeConfig(topo, 'n1', input)).cluster.join_token_file).toBeUndefined();
    const withToken = renderNodeConfig(topo, 'n1', { ...input, joinTokenFile: '/etc/blixard/join.token' });
    expect(parseNodeConfig(withToken).cluster.join_token_file).toBe('/etc/blixard/join.token');
  });

  it('needs every node’s Iroh id', () => {
    const topo = planTopology(3, dockerAddressing());
    expect(() =>
      renderNodeConfig(topo, 'n1', {
        mode: 'dual',
        irohIds: { n1: ids.n1 },
        admittedClients: [],
        dataDir: '/d',
      }),
    ).toThrow(/n2/);
  });

  it('changes a node’s mode and strategy in its file, peers following what it now speaks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'node-settings-'));
    try {
      const path = join(dir, 'node.toml');
      const topo = planTopology(3, dockerAddressing());
      const base = { irohIds: ids, admittedClients: [], dataDir: '/var/lib/blixard' };
      await writeFile(path, renderNodeConfig(topo, 'n1', { ...base, mode: 'grpc' }));
      const link = findLink(topo, 'n1', 'n2').dial;
      const all = {
        preferIroh: ['health', 'status'] as const,
        raftTransport: 'iroh' as const,
        fallbackToGrpc: true,
      };
      await writeNodeSettings(
        path,
        { mode: 'dual', strategy: { ...all, preferIroh: [...all.preferIroh] } },
        'test',
        ids,
      );
      const dual = await readNodeConfig(path);
      expect(dual.transport.mode).toBe('dual');
      expect(dual.transport.migration).toEqual({
        prefer_iroh: ['health', 'status'],
        raft_transport: 'iroh',
        fallback_to_grpc: true,
      });
      expect(dual.cluster.peers[0]).toEqual({ id: 'n2', grpc: link, iroh_id: ids.n2, iroh_addrs: [link] });
      await writeNodeSettings(path, { mode: 'iroh', strategy: { ...all, preferIroh: [] } }, 'test', ids);
      expect((await readNodeConfig(path)).cluster.peers[0]).toEqual({
        id: 'n2',
        iroh_id: ids.n2,
        iroh_addrs: [link],
      });
      // gRPC mode serves no Iroh: the node would refuse this file, so it is never written.
      const before = await readFile(path, 'utf8');
      await expect(
        writeNodeSettings(path, { mode: 'grpc', strategy: { ...all, preferIroh: ['health'] } }, 'test', ids),
      ).rejects.toThrow(/transport\.migration: mode "grpc" serves no Iroh/);
      expect(await readFile(path, 'utf8')).toBe(before);
      await writeNodeMode(path, 'grpc', 'test', ids);
      const grpc = await readNodeConfig(path);
      expect(grpc.transport.migration.prefer_iroh).toEqual([]);
      expect(grpc.cluster.peers[0]).toEqual({ id: 'n2', grpc: link, iroh_addrs: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
