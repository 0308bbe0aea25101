/** Iroh admission: node ids outside the allowlist are refused; the identity survives restarts. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../testing/index.ts';
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint } from './iroh-endpoint.ts';
import { loadOrCreateSecretKey } from './iroh-identity.ts';
import { ServiceRegistry } from './registry.ts';
import { TransportRunner } from './runner.ts';
import { ClusterService } from './services.ts';
import { type LoopbackServer, serveOnLoopback } from './testing.ts';

const registry = new ServiceRegistry().register(ClusterService, { healthCheck: () => ({ healthy: true }) });

describe('Iroh allowlist', () => {
  let server: LoopbackServer;
  let admittedId = '';
  beforeAll(async () => {
    const admitted = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' });
    admittedId = admitted.id().toString();
    server = await serveOnLoopback(registry, { admit: (id) => id === admittedId, client: admitted });
  });
  afterAll(async () => {
    await server?.stop();
    await server?.client.close();
  });

  it('serves an admitted node id', async () => {
    await expect(
      server.iroh.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0)),
    ).resolves.toBeDefined();
  });

  it('refuses any other node id with PERMISSION_DENIED, and counts it', async () => {
    const stranger = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' });
    const channel = new IrohChannel(stranger, {
      nodeId: server.runner.irohNodeId ?? '',
      addrs: [server.runner.irohAddress ?? ''],
    });
    const before = server.runner.irohHost?.refused ?? 0;
    await expect(
      channel.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0)),
    ).rejects.toMatchObject({
      codeName: 'PERMISSION_DENIED',
    });
    expect(server.runner.irohHost?.refused).toBe(before + 1);
    await channel.close();
    await stranger.close();
  });
});

describe('Iroh identity', () => {
  const tmp = useTempDir('iroh-id-');

  it('keeps the node id across restarts with the same data_dir', async () => {
    const dir = tmp.path;
    const start = () =>
      TransportRunner.start({
        mode: 'iroh',
        registry,
        grpc: { bindAddress: '127.0.0.1:0' },
        iroh: { bindAddress: '127.0.0.1:0', secretKeyFile: join(dir, 'iroh_secret.key') },
      });
    const first = await start();
    const id = first.irohNodeId;
    await first.stop();
    const second = await start();
    expect(second.irohNodeId).toBe(id);
    expect(second.grpcServer).toBeUndefined();
    await second.stop();
    expect((await readFile(join(dir, 'iroh_secret.key'), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file when the key is not a key', async () => {
    const dir = tmp.path;
    const bad = join(dir, 'bad.key');
    await writeFile(bad, 'not a key');
    await expect(loadOrCreateSecretKey(bad)).rejects.toThrow(`${bad}: not an Iroh secret key`);
  });
});
