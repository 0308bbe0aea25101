// The `blixard` binary of a Blixard commit, from the cache scripts/setup-blixard.sh keeps
// (~/.cache/blixard-lab/blixard/<commit>/blixard), built there first when `build` is set.
import { basename, dirname, join, resolve } from 'node:path';
import { exec } from '../exec.ts';

export interface BlixardSource {
  /** A commit (or any ref) of the bundle; default: the pinned one. */
  ref?: string | undefined;
  /** A user's Blixard checkout, built at its HEAD (wins over `ref`). */
  src?: string | undefined;
}

export interface BlixardBinary {
  binary: string;
  /** The commit it was built from (with `-dirty-<hash>` for a checkout with changes). */
  commit: string;
}

/** Thrown when the commit is not built and building was not asked for. */
export class BlixardNotBuiltError extends Error {}

const SCRIPT = resolve(import.meta.dirname, '..', '..', 'scripts', 'setup-blixard.sh');

export async function blixardBinary(
  source: BlixardSource,
  opts: { build: boolean; onLine?: (line: string) => void },
): Promise<BlixardBinary> {
  const env: NodeJS.ProcessEnv = { ...process.env, BLIXARD_NO_BUILD: opts.build ? '0' : '1' };
  delete env.BLIXARD_SRC;
  delete env.BLIXARD_REF;
  if (source.src !== undefined) env.BLIXARD_SRC = source.src;
  else if (source.ref !== undefined) env.BLIXARD_REF = source.ref;
  const res = await exec('bash', [SCRIPT], { env, ...(opts.onLine && { onLine: opts.onLine }) });
  const what = source.src ? `BLIXARD_SRC=${source.src}` : `BLIXARD_REF=${source.ref ?? '(pinned)'}`;
  if (res.code === 3) throw new BlixardNotBuiltError(res.stderr.trim());
  if (res.code !== 0)
    throw new Error(
      `building Blixard (${what}) failed: ${res.stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  const binary = res.stdout.trim().split('\n').at(-1) ?? '';
  if (basename(binary) !== 'blixard') throw new Error(`setup-blixard.sh printed no binary path (${what})`);
  return { binary, commit: basename(dirname(binary)) };
}

export const BLIXARD_BUILD_SCRIPT = join('scripts', 'setup-blixard.sh');
