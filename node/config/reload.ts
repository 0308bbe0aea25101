/**
 * What a config reload (SIGHUP) may change in a running node: `[transport.migration]` only. The new
 * file must pass the same schema as at start and keep the transport mode (a mode change restarts the
 * node); anything else it changes waits for the next restart and is named as such.
 */
import { isDeepStrictEqual } from 'node:util';
import { type MigrationStrategy, strategyFromFile } from '../transport/index.ts';
import { ConfigError, parseNodeConfig } from './load.ts';
import type { NodeConfig } from './schema.ts';

export type ReloadDecision =
  | {
      ok: true;
      strategy: MigrationStrategy;
      /** Fields that changed in the file but take effect only at the next restart. */
      deferred: string[];
    }
  | { ok: false; reason: string };

export function decideReload(running: NodeConfig, text: string, file: string): ReloadDecision {
  let next: NodeConfig;
  try {
    next = parseNodeConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, reason: err.problems.join('; ') };
    throw err;
  }
  if (next.transport.mode !== running.transport.mode) {
    return {
      ok: false,
      reason: `${file}: transport.mode: changed from ${running.transport.mode} to ${next.transport.mode}: a mode change needs a restart`,
    };
  }
  const deferred: string[] = [];
  for (const section of Object.keys(next) as (keyof NodeConfig)[]) {
    if (section === 'transport') {
      for (const key of Object.keys(next.transport) as (keyof NodeConfig['transport'])[]) {
        if (key !== 'migration' && !isDeepStrictEqual(next.transport[key], running.transport[key]))
          deferred.push(`transport.${key}`);
      }
    } else if (!isDeepStrictEqual(next[section], running[section])) {
      deferred.push(section);
    }
  }
  return { ok: true, strategy: strategyFromFile(next.transport.migration), deferred };
}
