/**
 * Loading a node config: TOML parsed, validated, and every problem reported
 * with the file, the field and what is wrong.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { type NodeConfig, NodeConfigSchema } from './schema.ts';

export class ConfigError extends Error {
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: string[]) {
    super(`invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

export async function loadNodeConfig(file: string): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  return parseNodeConfig(text, file);
}

export function parseNodeConfig(text: string, file = '<inline>'): NodeConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(file, [
        `TOML syntax at line ${err.line}, column ${err.column}: ${firstLine(err.message)}`,
      ]);
    }
    throw err;
  }
  const result = NodeConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  const config = result.data;
  // Relative key files live in data_dir, so one directory holds a node's whole state.
  const key = config.transport.iroh.secret_key_file;
  if (!isAbsolute(key)) config.transport.iroh.secret_key_file = resolve(config.node.data_dir, key);
  const token = config.cluster.join_token_file;
  if (token !== undefined && !isAbsolute(token))
    config.cluster.join_token_file = resolve(config.node.data_dir, token);
  return config;
}

/**
 * The cluster's join token from `[cluster] join_token_file` (surrounding whitespace dropped), or
 * undefined when none is configured. An unreadable or empty file is a config error; the token
 * itself never appears in an error.
 */
export async function readJoinToken(config: NodeConfig): Promise<string | undefined> {
  const file = config.cluster.join_token_file;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `cluster.join_token_file: cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  const token = text.trim();
  if (token === '') throw new ConfigError(file, ['cluster.join_token_file: the file is empty']);
  return token;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  return `${field}: ${issue.message}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
