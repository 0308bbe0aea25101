// blixard-lab/base: a minimal Debian made with debootstrap from the mirror the host's apt uses,
// trimmed, and imported with `docker import` (no registry is reachable, so nothing is pulled).
// Fallback (BLIXARD_BASE_SOURCE=host): the same made from the host's installed packages.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { importRootfs, tagImage } from '../docker.ts';
import { exec, execOk } from '../exec.ts';
import { hashFile } from '../hash.ts';
import type { BuildContext, Prepared, Recipe } from '../recipe.ts';
import { exists, freshDir } from '../staging.ts';
import { buildHostRootfs, closure, installedPackages } from './host-rootfs.ts';

/** The host is bookworm, so the host-built native modules (glibc 2.36) run in the image. */
export const SUITE = 'bookworm';
export const PACKAGES = [
  'ca-certificates',
  'iproute2',
  'procps',
  'iputils-ping',
  'netcat-openbsd',
  'curl',
  // A PID 1 that forwards signals and reaps children, so `docker stop` is prompt.
  'tini',
];
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

/** Parts of the tree removed after debootstrap: caches, lists, docs (copyright kept), locales. */
const TRIM = [
  'var/cache/apt',
  'var/lib/apt/lists',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'usr/share/lintian',
  'usr/share/linda',
  'var/cache/debconf',
  'var/log',
  'tmp',
];

/** The first `deb` source for `suite` in apt source files (deb822 `.sources` or one-line `.list`). */
export function mirrorFromSources(
  files: readonly { path: string; text: string }[],
  suite: string,
): string | undefined {
  for (const { path, text } of files) {
    if (path.endsWith('.sources')) {
      for (const block of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          block
            .match(new RegExp(`^${name}:\\s*(.*)$`, 'mi'))?.[1]
            ?.trim()
            .split(/\s+/) ?? [];
        if (field('Types').includes('deb') && field('Suites').includes(suite)) {
          const uri = field('URIs')[0];
          if (uri) return uri;
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = line.trim().match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
        if (m?.[1] && m[2] === suite) return m[1];
      }
    }
  }
  return undefined;
}

/** The Debian mirror the host's apt uses for `suite`, or BLIXARD_DEBIAN_MIRROR when set. */
export async function hostMirror(suite: string): Promise<string> {
  const fromEnv = process.env.BLIXARD_DEBIAN_MIRROR;
  if (fromEnv) return fromEnv;
  const paths = ['/etc/apt/sources.list'];
  try {
    for (const f of (await readdir('/etc/apt/sources.list.d')).sort())
      paths.push(`/etc/apt/sources.list.d/${f}`);
  } catch {}
  const files: { path: string; text: string }[] = [];
  for (const path of paths) {
    try {
      files.push({ path, text: await readFile(path, 'utf8') });
    } catch {}
  }
  return mirrorFromSources(files, suite) ?? FALLBACK_MIRROR;
}

/** Per-package lines of debootstrap are dropped from the progress; the phases are kept. */
function interesting(line: string): boolean {
  if (/^I: (Retrieving|Validating) [a-z0-9][^ ]* \d\S*$/.test(line)) return false;
  if (/^I: (Extracting|Unpacking|Configuring) [a-z0-9][^ ]*\.\.\.$/.test(line)) return false;
  return true;
}

async function ensureDebootstrap(ctx: BuildContext): Promise<void> {
  if ((await exec('sh', ['-c', 'command -v debootstrap'])).code === 0) return;
  if (process.getuid?.() !== 0) throw new Error('debootstrap is not installed and installing it needs root');
  ctx.progress('stage', 'apt-get install debootstrap');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const res = await exec('apt-get', ['install', '-y', '-q', 'debootstrap'], { env });
  if (res.code !== 0) {
    await execOk('apt-get', ['update', '-q'], { env });
    await execOk('apt-get', ['install', '-y', '-q', 'debootstrap'], { env });
  }
}

async function trim(rootfs: string): Promise<void> {
  for (const rel of TRIM) {
    const dir = join(rootfs, rel);
    if (!(await exists(dir))) continue;
    for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
  }
  // Documentation goes; each package's copyright file stays.
  const doc = join(rootfs, 'usr/share/doc');
  if (await exists(doc)) {
    for (const pkg of await readdir(doc)) {
      const dir = join(doc, pkg);
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        await rm(dir, { force: true });
        continue;
      }
      for (const e of entries)
        if (e !== 'copyright') await rm(join(dir, e), { recursive: true, force: true });
    }
  }
}

/** Where the base's files come from: 'debootstrap' (default) or 'host' (BLIXARD_BASE_SOURCE=host). */
export function baseSource(): 'debootstrap' | 'host' {
  const v = process.env.BLIXARD_BASE_SOURCE ?? 'debootstrap';
  if (v !== 'debootstrap' && v !== 'host')
    throw new Error(`BLIXARD_BASE_SOURCE: '${v}' is not debootstrap or host`);
  return v;
}

/** Runs debootstrap into `rootfs`, with its .deb files cached between builds. */
async function debootstrap(ctx: BuildContext, rootfs: string): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('debootstrap needs root');
  await ensureDebootstrap(ctx);
  const mirror = await hostMirror(SUITE);
  const debs = join(ctx.cacheDir, 'debootstrap-debs');
  await mkdir(debs, { recursive: true });
  ctx.progress('build', `debootstrap --variant=minbase ${SUITE} from ${mirror}`);
  try {
    await execOk(
      'debootstrap',
      ['--variant=minbase', `--cache-dir=${debs}`, `--include=${PACKAGES.join(',')}`, SUITE, rootfs, mirror],
      { onLine: (line) => interesting(line) && ctx.progress('build', line) },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n(without a reachable Debian mirror, BLIXARD_BASE_SOURCE=host builds the base from this host's installed packages)`,
    );
  }
}

export const base: Recipe = {
  name: 'base',
  needs: [],
  async prepare(ctx): Promise<Prepared> {
    const source = baseSource();
    const parts: Record<string, string> = {
      recipe: await hashFile(import.meta.filename),
      suite: SUITE,
      packages: PACKAGES.join(','),
    };
    let hostPackages: string[] = [];
    if (source === 'host') {
      const installed = await installedPackages();
      hostPackages = closure(installed, [...PACKAGES, 'passwd', 'libstdc++6', 'libgcc-s1']);
      parts.source = 'host';
      parts.hostRecipe = await hashFile(join(import.meta.dirname, 'host-rootfs.ts'));
      parts.hostPackages = hostPackages.map((p) => `${p}=${installed.get(p)?.version}`).join(' ');
    }
    return {
      parts,
      async build(tags) {
        const [tag, ...more] = tags;
        if (!tag) throw new Error('no tag');
        const rootfs = await freshDir(join(ctx.cacheDir, 'base-rootfs'));
        try {
          if (source === 'host') {
            const missing = PACKAGES.filter((p) => !hostPackages.includes(p));
            if (missing.length > 0)
              ctx.progress('build', `not installed on this host, left out: ${missing.join(' ')}`);
            await buildHostRootfs(rootfs, hostPackages, (line) => ctx.progress('build', line));
          } else {
            await debootstrap(ctx, rootfs);
          }
          ctx.progress('build', 'trimming caches, docs and locales');
          await trim(rootfs);
          ctx.progress('build', `docker import ${tag}`);
          await importRootfs(rootfs, tag, [
            'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            'ENV LANG=C.UTF-8',
            'CMD ["/bin/bash"]',
            `LABEL blixard-lab.image=base blixard-lab.debian-suite=${SUITE} blixard-lab.base-source=${source}`,
          ]);
          for (const t of more) await tagImage(tag, t);
        } finally {
          await rm(rootfs, { recursive: true, force: true });
        }
      },
    };
  },
};
