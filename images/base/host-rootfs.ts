// The fallback base: a root filesystem assembled from the host's own installed Debian packages
// (their files as `dpkg -L` lists them), for when debootstrap cannot reach a Debian mirror.
// Chosen with BLIXARD_BASE_SOURCE=host; the installed versions are part of the image's hash.
import { chmod, copyFile, cp, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execOk } from '../exec.ts';

export interface HostPackage {
  name: string;
  version: string;
  provides: string[];
  /** Dependency groups (Depends and Pre-Depends); each group lists alternatives. */
  depends: string[][];
}

const stripVersion = (dep: string) =>
  dep
    .trim()
    .replace(/\s*\(.*\)$/, '')
    .replace(/:(any|amd64|native)$/, '');

function parseDeps(field: string): string[][] {
  return field
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean)
    .map((g) => g.split('|').map(stripVersion).filter(Boolean));
}

/** The packages installed on the host (dpkg status 'ii'). */
export async function installedPackages(): Promise<Map<string, HostPackage>> {
  const out = await execOk('dpkg-query', [
    '-W',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    '-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\t${Provides}\\t${Depends}\\t${Pre-Depends}\\t${Essential}\\n',
  ]);
  const pkgs = new Map<string, HostPackage & { essential: boolean }>();
  for (const line of out.split('\n')) {
    const [name, status, version, provides, depends, preDepends, essential] = line.split('\t');
    if (!name || !status?.startsWith('ii')) continue;
    pkgs.set(name, {
      name,
      version: version ?? '',
      provides: parseDeps(provides ?? '').flat(),
      depends: [...parseDeps(preDepends ?? ''), ...parseDeps(depends ?? '')],
      essential: essential === 'yes',
    });
  }
  return pkgs;
}

/** Essential packages, the wanted ones that are installed, and everything they depend on. */
export function closure(
  pkgs: Map<string, HostPackage & { essential?: boolean }>,
  wanted: readonly string[],
): string[] {
  const providers = new Map<string, string>();
  for (const p of pkgs.values()) for (const v of p.provides) if (!providers.has(v)) providers.set(v, p.name);
  const resolve = (dep: string) => (pkgs.has(dep) ? dep : providers.get(dep));
  const out = new Set<string>();
  const queue = [
    ...[...pkgs.values()].filter((p) => p.essential).map((p) => p.name),
    ...wanted.filter((w) => pkgs.has(w)),
  ];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (out.has(name)) continue;
    out.add(name);
    for (const group of pkgs.get(name)?.depends ?? []) {
      const pick = group.map(resolve).find((p) => p !== undefined);
      if (pick && !out.has(pick)) queue.push(pick);
    }
  }
  return [...out].sort();
}

const SKIP = /^\/usr\/share\/(doc|man|info|locale|lintian)\//;

async function place(host: string, rootfs: string): Promise<void> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(host);
  } catch {
    return; // listed by dpkg but not on disk (excluded paths, diversions)
  }
  const dst = join(rootfs, host);
  if (st.isDirectory()) {
    await mkdir(dst, { recursive: true });
    return;
  }
  try {
    await lstat(dst);
    return; // already there (merged /usr symlinks, files shared between packages)
  } catch {}
  await mkdir(dirname(dst), { recursive: true });
  if (st.isSymbolicLink()) await symlink(await readlink(host), dst);
  else if (st.isFile()) {
    await copyFile(host, dst);
    await chmod(dst, st.mode & 0o7777);
  }
}

/** Copies the files `dpkg -L` lists for each host package into `rootfs` (docs and man pages left out). */
export async function placePackageFiles(rootfs: string, packages: readonly string[]): Promise<void> {
  for (const pkg of packages) {
    const files = (await execOk('dpkg', ['-L', pkg]))
      .split('\n')
      .filter((f) => f.startsWith('/') && f !== '/.');
    for (const f of files) if (!SKIP.test(f)) await place(f, rootfs);
  }
}

/** Builds the root filesystem into `rootfs` (an empty folder) from the host's packages. */
export async function buildHostRootfs(
  rootfs: string,
  packages: readonly string[],
  log: (line: string) => void,
) {
  // Merged /usr, as on the host (bookworm).
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64'])
    await mkdir(join(rootfs, d), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${d}`, join(rootfs, d));
  log(`copying the files of ${packages.length} host packages`);
  await placePackageFiles(rootfs, packages);
  // What maintainer scripts would have made.
  for (const [d, mode] of [
    ['tmp', 0o1777],
    ['var/tmp', 0o1777],
    ['root', 0o700],
    ['proc', 0o755],
    ['sys', 0o755],
    ['dev', 0o755],
    ['run', 0o755],
    ['home', 0o755],
    ['var/log', 0o755],
    ['var/cache', 0o755],
    ['etc', 0o755],
  ] as const) {
    await mkdir(join(rootfs, d), { recursive: true });
    await chmod(join(rootfs, d), mode);
  }
  const passwd = await readFile('/usr/share/base-passwd/passwd.master', 'utf8');
  const group = await readFile('/usr/share/base-passwd/group.master', 'utf8');
  await writeFile(join(rootfs, 'etc/passwd'), passwd);
  await writeFile(join(rootfs, 'etc/group'), group);
  const names = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[0]);
  await writeFile(
    join(rootfs, 'etc/shadow'),
    names(passwd)
      .map((n) => `${n}:*:19000:0:99999:7:::\n`)
      .join(''),
    {
      mode: 0o640,
    },
  );
  await writeFile(
    join(rootfs, 'etc/gshadow'),
    names(group)
      .map((n) => `${n}:*::\n`)
      .join(''),
    { mode: 0o640 },
  );
  await writeFile(
    join(rootfs, 'etc/nsswitch.conf'),
    'passwd: files\ngroup: files\nshadow: files\ngshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n',
  );
  await cp('/etc/ssl/certs', join(rootfs, 'etc/ssl/certs'), { recursive: true, verbatimSymlinks: true });
  await execOk('ldconfig', ['-r', rootfs]);
}
