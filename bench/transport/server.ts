/**
 * The benchmark's server: a dual transport runner in its own process (so the
 * client and the server do not share an event loop), serving small unary
 * calls, 1 MiB uploads and downloads, and a raw multiplexed-stream echo used
 * to measure the alternative Iroh call layout.
 */

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orAbsent, release } from '../../node/lib/index.ts';
import {
  ClusterService,
  type Connection,
  FrameReader,
  FrameType,
  type IrohProtocol,
  ServiceRegistry,
  TransportRunner,
  writeFrame,
} from '../../node/transport/index.ts';

import { MUX_ALPN } from './mux-alpn.ts';

const blob = new Uint8Array(Number(process.argv[2] ?? 1 << 20)).fill(7);

const registry = new ServiceRegistry().register(ClusterService, {
  healthCheck: () => ({ healthy: true, nodeId: 'bench' }),
  shareVmImage: (req) => ({ success: true, size: BigInt(req.data.length) }),
  getVmImage: () => ({ success: true, data: blob, size: BigInt(blob.length) }),
});

/** Echo on long-lived streams: every frame comes back as a Response with its request id. */
const mux: IrohProtocol = {
  alpn: MUX_ALPN,
  handle(conn: Connection) {
    void (async () => {
      for (;;) {
        const bi = await orAbsent(conn.acceptBi());
        if (bi === undefined) return;
        void (async () => {
          const reader = new FrameReader(bi.recv);
          for (;;) {
            const frame = await orAbsent(reader.next());
            if (frame === undefined) break;
            await writeFrame(bi.send, FrameType.Response, frame.requestId, frame.payload);
          }
          await release(bi.send.finish());
        })();
      }
    })();
  },
};

const dir = await mkdtemp(join(tmpdir(), 'bench-transport-'));
const runner = await TransportRunner.start({
  mode: 'dual',
  registry,
  grpc: { bindAddress: '127.0.0.1:0' },
  iroh: { bindAddress: '127.0.0.1:0', secretKeyFile: join(dir, 'key'), protocols: [mux] },
});
process.stdout.write(
  `${JSON.stringify({ grpc: runner.grpcAddress, irohId: runner.irohNodeId, iroh: runner.irohAddress })}\n`,
);
process.once('SIGTERM', () => {
  void runner.stop().then(() => process.exit(0));
});
