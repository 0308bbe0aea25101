/**
 * How a status travels inside an Iroh Error frame: the response envelope's
 * `error` string is "<CODE_NAME>: <message>". A peer that sends a bare message
 * (no known code prefix) is read as UNKNOWN, as gRPC does for such errors.
 */
import { Code, codeFromName, RpcError } from './status.ts';

export function formatErrorText(err: RpcError): string {
  return `${err.codeName}: ${err.message}`;
}

export function parseErrorText(text: string): RpcError {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(text);
  const code = match?.[1] === undefined ? undefined : codeFromName(match[1]);
  if (match === null || code === undefined || code === Code.OK) return new RpcError(Code.UNKNOWN, text);
  return new RpcError(code, match[2] ?? '');
}
