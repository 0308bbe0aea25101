// scripts/setup-native.sh: silent when the addon is current, and a clear error when the Rust
// toolchain is missing or too old. The toolchain cases run a copy of the script and crate sources
// in a scratch root (no built addon there), with a PATH that holds no cargo or a fake old rustc.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const scratch: string[] = [];

afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [script], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, out: stdout + stderr });
    });
  });
}

/** A root with the script and the crate's sources but no build output. */
async function scratchRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'setup-native-'));
  scratch.push(dir);
  await mkdir(join(dir, 'scripts'));
  await cp(join(root, 'scripts', 'setup-native.sh'), join(dir, 'scripts', 'setup-native.sh'));
  const crate = join(root, 'native', 'iroh');
  for (const f of ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src']) {
    await cp(join(crate, f), join(dir, 'native', 'iroh', f), { recursive: true });
  }
  return dir;
}

describe('setup-native.sh', () => {
  it('is quiet and builds nothing when the addon matches its sources', async () => {
    const out = await run(join(root, 'scripts', 'setup-native.sh'), process.env);
    expect(out).toEqual({ code: 0, out: '' });
  });

  it('says cargo is missing, and what to install, when it is not in PATH', async () => {
    const dir = await scratchRoot();
    const out = await run(join(dir, 'scripts', 'setup-native.sh'), { PATH: '/usr/bin:/bin', HOME: dir });
    expect(out.code).toBe(1);
    expect(out.out).toContain(
      'setup-native: cargo not found in PATH; the Iroh binding (native/iroh) needs Rust >= ',
    );
  });

  it('names the rustc version that is too old', async () => {
    const dir = await scratchRoot();
    const bin = join(dir, 'fake-bin');
    await mkdir(bin);
    await writeFile(join(bin, 'cargo'), '#!/bin/sh\necho "cargo 1.80.0"\n');
    await writeFile(join(bin, 'rustc'), '#!/bin/sh\necho "rustc 1.80.0 (051478957 2024-07-21)"\n');
    await chmod(join(bin, 'cargo'), 0o755);
    await chmod(join(bin, 'rustc'), 0o755);
    const out = await run(join(dir, 'scripts', 'setup-native.sh'), {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: dir,
    });
    expect(out.code).toBe(1);
    expect(out.out).toMatch(/setup-native: rustc 1\.80\.0 is too old; .* needs Rust >= 1\.\d+/);
  });
});
