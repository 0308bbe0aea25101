/**
 * Iroh identities the lab makes before anything starts, so every node's config can name every
 * peer's node id: a node's key goes into its data dir, where the node loads it from.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SecretKey, secretKeyFromHex, secretKeyToHex } from '../../node/transport/index.ts';

export interface IrohKey {
  /** 64 hex characters, the file's content. */
  secretHex: string;
  /** The public node id. */
  nodeId: string;
}

export function generateIrohKey(): IrohKey {
  const key = SecretKey.generate();
  return { secretHex: secretKeyToHex(key), nodeId: key.public().toString() };
}

export function irohKeyFromHex(secretHex: string): IrohKey {
  return { secretHex, nodeId: secretKeyFromHex(secretHex).public().toString() };
}

export function secretKeyOf(key: IrohKey): SecretKey {
  return secretKeyFromHex(key.secretHex);
}

/** Writes the key file the node reads (`iroh_secret.key` under data_dir); keeps an existing one. */
export async function writeIrohKeyFile(path: string, key: IrohKey): Promise<IrohKey> {
  await mkdir(dirname(path), { recursive: true });
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    return irohKeyFromHex(existing);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(path, `${key.secretHex}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return key;
}
