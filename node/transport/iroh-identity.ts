/**
 * The node's Iroh identity: an ed25519 secret key kept in a file under
 * data_dir, so the node id survives restarts (peers and allowlists name it).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SecretKey } from './native-iroh.ts';

export async function loadOrCreateSecretKey(path: string): Promise<SecretKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const key = SecretKey.generate();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${secretKeyToHex(key)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return key;
  }
  return secretKeyFromHex(text.trim(), path);
}

/** A secret key from its 64 hex characters (a key file's content); `where` names the source in errors. */
export function secretKeyFromHex(hex: string, where = 'Iroh secret key'): SecretKey {
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new Error(`${where}: not an Iroh secret key (expected 64 hex characters)`);
  return SecretKey.fromBytes(Buffer.from(hex, 'hex'));
}

/** The 64 hex characters of a secret key, as a key file holds them. */
export function secretKeyToHex(key: SecretKey): string {
  return Buffer.from(key.toBytes()).toString('hex');
}
