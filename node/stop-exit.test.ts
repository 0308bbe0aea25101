/**
 * A node stopped with SIGTERM exits once its stop is done, even when something it does not own
 * still holds the event loop (here a timer a preloaded module leaves running; in containers a
 * handle that outlived the shutdown kept stopped nodes up until `docker stop` killed them).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './testing/index.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
/** Start on a loaded host: Node loading the node's TypeScript, binding both transports. */
const START_BOUND_MS = 30_000;
/** A stop: leadership transfer (2 s), the gRPC server's drain (2 s), then the 1 s exit grace. */
const STOP_BOUND_MS = 2000 + 2000 + 1000 + 3000;

describe('blixard-node stop', () => {
  const tmp = useTempDir('node-stop-');

  it('exits after SIGTERM even when a handle it does not own keeps the event loop alive', async () => {
    const dir = tmp.path;
    const config = join(dir, 'node.toml');
    await writeFile(
      config,
      [
        '[node]',
        'id = "n1"',
        `data_dir = "${join(dir, 'data')}"`,
        '[transport]',
        'mode = "dual"',
        '[transport.grpc]',
        'bind_address = "127.0.0.1:0"',
        '[transport.iroh]',
        'bind_address = "127.0.0.1:0"',
        '[metrics]',
        'bind_address = "127.0.0.1:0"',
        '[cluster]',
        'bootstrap = true',
        'peers = []',
        '',
      ].join('\n'),
    );
    const linger = join(dir, 'linger.mjs');
    await writeFile(linger, 'setInterval(() => {}, 2 ** 30);\n');
    const child = spawn(process.execPath, ['--import', linger, MAIN, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const tail = () => output.trim().split('\n').slice(-3).join('\n');
    try {
      const started = Date.now();
      while (!output.includes('"msg":"serving"')) {
        if (child.exitCode !== null) throw new Error(`node exited before serving: ${tail()}`);
        if (Date.now() - started > START_BOUND_MS)
          throw new Error(`node not serving within ${START_BOUND_MS} ms; last output: ${tail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'running'>((r) => setTimeout(() => r('running'), STOP_BOUND_MS)),
      ]);
      expect(code, `${STOP_BOUND_MS} ms after SIGTERM; last output: ${tail()}`).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
