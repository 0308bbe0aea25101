/**
 * The node's Iroh identity: an ed25519 secret key kept in a file under
 * data_dir, so the node id survives restarts (peers and allowlists name it).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SecretKey } from '@number0/iroh';

export async function loadOrCreateSecretKey(path: string): Promise<SecretKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const key = SecretKey.generate();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${Buffer.from(key.toBytes()).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return key;
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new Error(`${path}: not an Iroh secret key (expected 64 hex characters)`);
  }
  return SecretKey.fromBytes(Array.from(Buffer.from(hex, 'hex')));
}
