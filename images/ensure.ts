// Ensures images exist, built only when the content hash of their inputs has no image yet:
// `blixard-lab/<name>:<hash>` is the content-addressed tag, `:latest` follows it.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { base } from './base/index.ts';
import { ensureTag, imageId, pruneTags } from './docker.ts';
import { exec } from './exec.ts';
import { combine } from './hash.ts';
import { hub } from './hub/index.ts';
import { node } from './node/index.ts';
import { prometheus } from './prometheus/index.ts';
import {
  type BuildContext,
  IMAGE_NAMES,
  type ImageName,
  type ProgressEvent,
  REPOSITORY,
  type Recipe,
} from './recipe.ts';
import { runtime } from './runtime/index.ts';

export const RECIPES: Record<ImageName, Recipe> = { base, runtime, node, hub, prometheus };

export interface EnsureOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** Rebuild the named images (not the ones they are built on) even when their hash tag exists. */
  force?: boolean;
  /** The repository's root (default: the folder above images/). */
  root?: string;
}

/** `blixard-lab/<name>:latest`, the tag the lab runs by default. */
export function latestTag(name: ImageName): string {
  return `${REPOSITORY}/${name}:latest`;
}

export function isImageName(name: string): name is ImageName {
  return (IMAGE_NAMES as readonly string[]).includes(name);
}

async function assertEngine(): Promise<void> {
  const res = await exec('docker', ['version', '--format', '{{.Server.Version}}']);
  if (res.code !== 0)
    throw new Error(`the Docker engine does not answer (run scripts/setup-docker.sh): ${res.stderr.trim()}`);
}

/** The images to ensure, dependencies first. */
export function buildOrder(names: readonly ImageName[]): ImageName[] {
  const order: ImageName[] = [];
  const visit = (n: ImageName) => {
    if (order.includes(n)) return;
    for (const dep of RECIPES[n].needs) visit(dep);
    order.push(n);
  };
  for (const n of names) visit(n);
  return order;
}

/**
 * One build at a time per cache folder (two test workers, or the lab and a test, may ask at once):
 * a lock folder holding the owner's pid; a lock whose owner is gone is taken over.
 */
async function withLock<T>(
  cacheDir: string,
  fn: () => Promise<T>,
  onWait: (message: string) => void,
): Promise<T> {
  const lock = join(cacheDir, 'lock');
  const deadline = Date.now() + 60 * 60_000;
  const began = Date.now();
  let told = 0;
  await mkdir(cacheDir, { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      let alive = false;
      if (pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch {}
      }
      if (!alive && pid > 0) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`image build lock ${lock} held by pid ${pid} for too long`);
      // Said at once and every 30 s: another build may take minutes, and silence looks like a hang.
      if (Date.now() - told >= 30_000) {
        told = Date.now();
        onWait(
          `waiting for pid ${pid}'s image build to finish (${Math.round((told - began) / 1000)} s so far; lock ${lock})`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Ensures the named images (and the images they are built on) exist locally; returns each named
 * image's content-hash tag. A warm call, with nothing changed, builds nothing.
 */
export async function ensureImages<N extends ImageName>(
  names: readonly N[],
  opts: EnsureOptions = {},
): Promise<Record<N, string>> {
  const root = opts.root ?? resolve(import.meta.dirname, '..');
  const cacheDir = join(root, '.tools', 'cache', 'images');
  const emit = opts.onProgress ?? (() => {});
  const tags: Partial<Record<ImageName, string>> = {};
  await assertEngine();
  const order = buildOrder(names);
  await withLock(
    cacheDir,
    async () => {
      for (const name of order) {
        const started = Date.now();
        const ctx: BuildContext = {
          root,
          cacheDir,
          tags,
          progress: (phase, message) => emit({ image: name, phase, message }),
        };
        ctx.progress('check', 'hashing inputs');
        const prepared = await RECIPES[name].prepare(ctx);
        const tag = `${REPOSITORY}/${name}:${combine(prepared.parts)}`;
        const forced = opts.force === true && (names as readonly ImageName[]).includes(name);
        const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
        if (!forced && (await imageId(tag)) !== undefined) {
          await ensureTag(tag, latestTag(name));
          ctx.progress('cached', `cached ${tag} (checked in ${seconds()})`);
        } else {
          ctx.progress('build', `building ${tag}`);
          await prepared.build([tag, latestTag(name)]);
          ctx.progress('done', `built ${tag} in ${seconds()}`);
        }
        tags[name] = tag;
      }
      // Older content-hash tags of the images ensured go (the two most recent stay), dependants
      // first; an image a container still uses, or another image is built on, stays.
      for (const name of buildOrder(names).reverse()) {
        const keep = tags[name];
        if (keep) await pruneTags(keep, latestTag(name));
      }
    },
    (message) => emit({ image: order[0] as ImageName, phase: 'wait', message }),
  );
  const out = {} as Record<N, string>;
  for (const n of names) {
    const t = tags[n];
    if (!t) throw new Error(`image ${n} was not ensured`);
    out[n] = t;
  }
  return out;
}
