// The docker CLI calls the image builds need. The classic builder is used (DOCKER_BUILDKIT=0): it
// resolves `FROM blixard-lab/base:<hash>` from the local image store without asking any registry,
// runs every step with --network=none, and numbers its steps.
import { spawn } from 'node:child_process';
import { exec, execOk } from './exec.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal colour codes is the point
const ANSI = /\x1b\[[0-9;]*m/g;
const env = { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' };

/** The image id a reference points to, or undefined when there is no such image. */
export async function imageId(ref: string): Promise<string | undefined> {
  const res = await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { env });
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export async function tagImage(src: string, dst: string): Promise<void> {
  await execOk('docker', ['tag', src, dst], { env });
}

/** Points `target` at `src` unless it already does. */
export async function ensureTag(src: string, target: string): Promise<void> {
  const [a, b] = await Promise.all([imageId(src), imageId(target)]);
  if (a === undefined) throw new Error(`no image ${src}`);
  if (a !== b) await tagImage(src, target);
}

/** `docker build` of a prepared context folder, offline, tagged with every tag given. */
export async function build(contextDir: string, tags: readonly string[], onLine: (line: string) => void) {
  const args = ['build', '--network=none', '--force-rm', '--pull=false'];
  for (const t of tags) args.push('-t', t);
  args.push(contextDir);
  // The lines before the build proper are the classic builder's deprecation notice.
  let started = false;
  await execOk('docker', args, {
    env,
    onLine: (raw) => {
      const line = raw.replace(ANSI, '');
      if (/^(Sending build context|Step \d)/.test(line)) started = true;
      // The classic builder's bookkeeping (intermediate containers, layer ids) is left out.
      if (/^(\s*---> |Removing intermediate container )/.test(line)) return;
      if (started && line.trim() !== '') onLine(line);
    },
  });
}

/**
 * `tar -C rootfs -c . | docker import - tag`, with Dockerfile-style changes (ENV, CMD, LABEL...).
 * Returns the new image id.
 */
export function importRootfs(rootfs: string, tag: string, changes: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const args = ['import'];
    for (const c of changes) args.push('--change', c);
    args.push('-', tag);
    const imp = spawn('docker', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    tar.stdout.pipe(imp.stdin);
    let tarErr = '';
    let out = '';
    let impErr = '';
    tar.stderr.on('data', (d: Buffer) => {
      tarErr += d.toString();
    });
    imp.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    imp.stderr.on('data', (d: Buffer) => {
      impErr += d.toString();
    });
    let tarCode: number | null = null;
    tar.on('error', reject);
    imp.on('error', reject);
    tar.on('close', (code) => {
      tarCode = code;
    });
    imp.on('close', (code) => {
      if (code !== 0) reject(new Error(`docker import exited with ${code}: ${impErr.trim()}`));
      else if (tarCode !== null && tarCode !== 0)
        reject(new Error(`tar exited with ${tarCode}: ${tarErr.trim()}`));
      else resolve(out.trim());
    });
  });
}

/**
 * Removes older content-hash tags of `keep`'s repository, leaving `keep`, `latest` and the `spare`
 * most recent others (a lab or test may still be about to start a container from one of them).
 * Failures (an image in use, or with child images) are ignored.
 */
export async function pruneTags(keep: string, latest: string, spare = 2): Promise<void> {
  const repo = keep.slice(0, keep.lastIndexOf(':'));
  const res = await exec('docker', ['images', repo, '--format', '{{.Repository}}:{{.Tag}}'], { env });
  if (res.code !== 0) return;
  // `docker images` lists the newest first.
  const old = res.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((t) => t !== '' && t !== keep && t !== latest && !t.endsWith(':<none>'))
    .slice(spare);
  for (const tag of old) await exec('docker', ['rmi', tag], { env });
}
