/** The proxy as a process: starts from the command line, serves its API, exits 2 on bad arguments. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, 'main.ts');
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('node hub/udp/main.ts', () => {
  it('serves the admin API on the address given and stops on SIGTERM', async () => {
    child = spawn(process.execPath, [main, '--listen', '127.0.0.1:0', '--seed', '42'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const banner = await new Promise<string>((resolve) =>
      createInterface({ input: child?.stdout as NodeJS.ReadableStream }).once('line', resolve),
    );
    const url = /on (http:\/\/\S+)/.exec(banner)?.[1];
    expect(banner).toContain('seed 42');
    expect(await (await fetch(`${url}/version`)).json()).toHaveProperty('version');
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits with status 2 and names the flag on bad arguments', () => {
    const run = spawnSync(process.execPath, [main, '--seed', 'abc'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--seed');
    const bad = spawnSync(process.execPath, [main, '--listen', 'nowhere'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--listen');
  });
});
