/**
 * /metrics on real nodes after traffic on both transports (RPCs over gRPC and
 * Iroh, Raft, an image fetched over blobs) exposes every series docs/METRICS.md
 * lists, and the per-transport series have samples for both transports.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';
import {
  decodeResponse,
  dial,
  FrameReader,
  FrameType,
  RPC_ALPN,
  toEndpointAddr,
} from '../transport/index.ts';

const LIVENESS_MS = 60_000;
/** `[transport.iroh] request_read_timeout_ms` by default (LocalCluster leaves it unset). */
const REQUEST_READ_DEADLINE_MS = 5000;
const DOC = join(import.meta.dirname, '..', '..', 'docs', 'METRICS.md');

/** Series names from the tables of METRICS.md: the first cell of each row. */
async function documentedSeries(): Promise<string[]> {
  const text = await readFile(DOC, 'utf8');
  return [...text.matchAll(/^\| `(blixard_[a-z_]+)` \|/gm)].map((m) => m[1] as string);
}

describe('/metrics after traffic on both transports', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3, mode: 'dual', preferIroh: ['p2p', 'status'] });
  });
  afterAll(() => cluster?.stop());

  const scrape = (id: string) =>
    fetch(`http://127.0.0.1:${cluster.spec(id).metricsPort}/metrics`).then((r) => r.text());

  function value(text: string, name: string, ...labels: string[]): number {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('exposes every documented series, with both transports where labelled so', async () => {
    const documented = await documentedSeries();
    expect(documented.length).toBeGreaterThanOrEqual(25);

    // Traffic: writes through Raft, calls over each transport, an image over blobs.
    await expect
      .poll(
        async () => {
          const { blixard } = await cluster.clients('n1', 'grpc');
          return blixard
            .proposeTask({ key: 'm', op: RegisterOp.WRITE, value: '1' }, { timeoutMs: 5000 })
            .then(
              (r) => r.success,
              () => false,
            );
        },
        { timeout: LIVENESS_MS, interval: 200 },
      )
      .toBe(true);
    for (const transport of ['grpc', 'iroh'] as const) {
      const { cluster: c, blixard } = await cluster.clients('n2', transport);
      await c.healthCheck({}, { timeoutMs: 5000 });
      await c.getClusterStatus({}, { timeoutMs: 5000 });
      await blixard.getRaftStatus({}, { timeoutMs: 5000 });
    }
    const data = randomBytes(3 * 1024 * 1024);
    const n1 = (await cluster.clients('n1', 'iroh')).cluster;
    await n1.shareVmImage({ imageName: 'metrics-img', data }, { timeoutMs: 20_000 });
    const n2 = (await cluster.clients('n2', 'grpc')).cluster;
    await expect
      .poll(
        () =>
          n2.getVmImage({ imageName: 'metrics-img' }, { timeoutMs: 20_000 }).then(
            (r) => r.hash,
            () => '',
          ),
        {
          timeout: LIVENESS_MS,
          interval: 200,
        },
      )
      .not.toBe('');

    for (const id of ['n1', 'n2']) {
      const text = await scrape(id);
      const missing = documented.filter((name) => !text.includes(`# TYPE ${name} `));
      expect(missing, `${id} lacks documented series`).toEqual([]);
      for (const transport of ['grpc', 'iroh']) {
        const t = `transport="${transport}"`;
        expect(
          value(text, 'blixard_rpc_server_duration_seconds_count', t),
          `${id} served over ${transport}`,
        ).toBeGreaterThan(0);
        expect(value(text, 'blixard_transport_bytes_total', t, 'direction="received"')).toBeGreaterThan(0);
        expect(value(text, 'blixard_transport_bytes_total', t, 'direction="sent"')).toBeGreaterThan(0);
      }
      expect(text).toMatch(/^blixard_peer_circuit_state\{peer="n\d"/m);
      expect(value(text, 'blixard_iroh_udp_bytes', 'direction="sent"')).toBeGreaterThan(0);
    }
    const fetcher = await scrape('n2');
    expect(value(fetcher, 'blixard_blob_bytes_total', 'direction="received"')).toBe(data.length);
    expect(
      value(fetcher, 'blixard_transport_bytes_total', 'transport="iroh"', 'direction="received"'),
    ).toBeGreaterThan(data.length);
    expect(value(fetcher, 'blixard_blob_transfer_duration_seconds_count', 'outcome="ok"')).toBe(1);
    const holder = await scrape('n1');
    expect(value(holder, 'blixard_blob_bytes_total', 'direction="sent"')).toBe(data.length);
    expect(value(holder, 'blixard_p2p_images_stored')).toBe(1);
  }, 180_000);

  it(
    'counts an Iroh stream whose request frame stalls past the read deadline',
    async () => {
      const spec = cluster.spec('n3');
      const endpoint = await cluster.clientEndpoint();
      const addr = await toEndpointAddr({ nodeId: spec.irohId, addrs: [`127.0.0.1:${spec.irohPort}`] });
      const conn = await dial(endpoint, addr, RPC_ALPN);
      try {
        const bi = await conn.openBi();
        await bi.send.writeAll(Buffer.from([1, 1, 0, 0])); // part of a header, then nothing
        const frame = await new FrameReader(bi.recv).next();
        expect(frame?.type).toBe(FrameType.Error);
        expect(decodeResponse(frame?.payload ?? new Uint8Array(0)).error).toMatch(
          new RegExp(`^DEADLINE_EXCEEDED: no complete request frame within ${REQUEST_READ_DEADLINE_MS} ms`),
        );
        const text = await scrape('n3');
        expect(value(text, 'blixard_iroh_request_read_timeouts_total')).toBe(1);
      } finally {
        conn.close(0, '');
      }
    },
    4 * REQUEST_READ_DEADLINE_MS,
  );
});
