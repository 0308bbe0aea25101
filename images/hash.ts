// Content hashes of build inputs: files, folder trees and the parts of an image's recipe.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

const fileHashes = new Map<string, { key: string; hash: string }>();

/** sha256 of a file's content (following symlinks), memoised by path, size and mtime. */
export async function hashFile(path: string): Promise<string> {
  const st = await stat(path);
  const key = `${st.size}:${st.mtimeMs}`;
  const memo = fileHashes.get(path);
  if (memo?.key === key) return memo.hash;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const hash = h.digest('hex');
  fileHashes.set(path, { key, hash });
  return hash;
}

/** Decides whether a path (relative to the tree's root, '/'-separated) belongs to the tree. */
export type TreeFilter = (rel: string, isDir: boolean) => boolean;

/** Lists a tree's files (relative paths, sorted), symlinks included as files. */
export async function listTree(root: string, filter: TreeFilter = () => true): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs).split('\\').join('/');
      if (e.isDirectory()) {
        if (filter(rel, true)) await walk(abs);
      } else if (filter(rel, false)) {
        out.push(rel);
      }
    }
  };
  await walk(root);
  return out.sort();
}

/**
 * sha256 over a tree: every file's relative path, executable bit and content hash (a symlink's
 * target instead of content). An absent tree hashes as 'absent'.
 */
export async function hashTree(root: string, filter: TreeFilter = () => true): Promise<string> {
  try {
    await stat(root);
  } catch {
    return 'absent';
  }
  const h = createHash('sha256');
  for (const rel of await listTree(root, filter)) {
    const abs = join(root, rel);
    const st = await lstat(abs);
    if (st.isSymbolicLink()) {
      h.update(`L ${rel} ${await readlink(abs)}\n`);
    } else {
      const exec = (st.mode & 0o111) !== 0 ? 'x' : '-';
      h.update(`F ${rel} ${exec} ${await hashFile(abs)}\n`);
    }
  }
  return h.digest('hex');
}

/** A short, stable hash of named parts (order of keys does not matter). */
export function combine(parts: Record<string, string>): string {
  const h = createHash('sha256');
  for (const key of Object.keys(parts).sort()) h.update(`${key}=${parts[key]}\n`);
  return h.digest('hex').slice(0, 16);
}

/** sha256 of a string. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
