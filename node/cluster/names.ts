/**
 * The one rule for the names RPCs take — VM names, task ids, image names —
 * checked before anything else a handler does, on every node: an invalid name
 * is INVALID_ARGUMENT naming the field, never NOT_FOUND (nothing could have
 * that name) and never forwarded to the leader.
 */
import { Code, RpcError } from '../transport/index.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const CONTENT_HASH = /^[0-9a-f]{64}$/;

const NAME_RULE = '1-63 letters, digits, _ . - (not starting with a symbol)';

/** Throws INVALID_ARGUMENT unless `value` is a valid name; `field` is what the error calls it. */
export function checkName(field: string, value: string): void {
  if (value === '') throw new RpcError(Code.INVALID_ARGUMENT, `${field} is required`);
  if (!NAME.test(value))
    throw new RpcError(Code.INVALID_ARGUMENT, `${field} '${printable(value)}' must be ${NAME_RULE}`);
}

/** An image reference: empty (none), an image name, or a content hash (64 lowercase hex digits). */
export function checkImageRef(field: string, value: string): void {
  if (value === '' || CONTENT_HASH.test(value)) return;
  if (!NAME.test(value))
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `${field} '${printable(value)}' must be an image name (${NAME_RULE}) or a sha256 content hash`,
    );
}

/** Names in errors: shortened, control characters escaped. */
function printable(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(short).slice(1, -1);
}
