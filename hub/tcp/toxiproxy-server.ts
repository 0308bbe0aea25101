/**
 * The real Toxiproxy server (the TCP side of the chaos hub) as a child process on loopback, for the
 * process runtime, tests and benchmarks. The binary comes from scripts/setup-toxiproxy.sh.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repoRoot = join(import.meta.dirname, '..', '..');
export const TOXIPROXY_BINARY = join(repoRoot, '.tools', 'bin', 'toxiproxy-server');
const SETUP_SCRIPT = join(repoRoot, 'scripts', 'setup-toxiproxy.sh');

export interface ToxiproxyServer {
  /** Admin API base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Builds the pinned toxiproxy-server when it is missing (a no-op otherwise); returns its path. */
export async function ensureToxiproxyBinary(): Promise<string> {
  try {
    await access(TOXIPROXY_BINARY, constants.X_OK);
  } catch {
    await promisify(execFile)(SETUP_SCRIPT, [], { timeout: 300_000 });
  }
  return TOXIPROXY_BINARY;
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/version`)).ok;
  } catch {
    return false;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts toxiproxy-server on a free 127.0.0.1 port with the run's seed; resolves once its API answers. */
export async function startToxiproxyServer(options: { seed?: number } = {}): Promise<ToxiproxyServer> {
  const binary = await ensureToxiproxyBinary();
  // A free port can be taken between probing and binding: try a few before giving up.
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const args = ['-host', '127.0.0.1', '-port', String(port)];
    if (options.seed !== undefined) args.push('-seed', String(options.seed));
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      if (await answers(url)) return { url, port, close: () => stopChild(child) };
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopChild(child);
    if (attempt >= 3) throw new Error(`toxiproxy-server did not start on ${url}: ${stderr.trim()}`);
  }
}
