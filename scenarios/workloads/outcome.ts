/**
 * What an op's error says about whether it happened: `fail` when it certainly did not (a read, a
 * definite rejection, a node's refusal before proposing, no connection at all), `info` when it may
 * have (a deadline, a connection lost mid-call, "outcome unknown"). A failed CAS names the
 * register's current value, which the workload uses as a read.
 */
import { isRefusal } from '../../node/cluster/index.ts';
import { Code, IrohConnectError, RpcError } from '../../node/transport/index.ts';

/** Codes with which the node rejects an op before it takes effect. */
const DEFINITE = new Set<number>([
  Code.FAILED_PRECONDITION,
  Code.INVALID_ARGUMENT,
  Code.NOT_FOUND,
  Code.ALREADY_EXISTS,
  Code.RESOURCE_EXHAUSTED,
  Code.PERMISSION_DENIED,
  Code.UNIMPLEMENTED,
]);

/**
 * fail only when the op certainly did not take effect; anything else is info. `readOnly` ops change
 * nothing, so they are fail whatever happened.
 */
export function classify(f: string, err: unknown, readOnly = f === 'read'): 'fail' | 'info' {
  if (readOnly) return 'fail';
  if (err instanceof IrohConnectError) return 'fail';
  if (isRefusal(err)) return 'fail';
  if (err instanceof RpcError) {
    if (DEFINITE.has(err.code)) return 'fail';
    // The client's own channel never reached the node (gRPC): nothing was sent.
    if (err.code === Code.UNAVAILABLE && /ECONNREFUSED|No connection established/.test(err.message))
      return 'fail';
  }
  return 'info';
}

/**
 * The register's value a failed CAS found, from the node's reply `'<key>' is '<current>', not
 * '<expected>'` (FAILED_PRECONDITION); undefined when the error is anything else.
 */
export function currentOfFailedCas(key: string, expected: string, err: unknown): string | undefined {
  if (!(err instanceof RpcError) || err.code !== Code.FAILED_PRECONDITION) return undefined;
  const head = `'${key}' is '`;
  const tail = `', not '${expected}'`;
  const m = err.message;
  if (!m.startsWith(head) || !m.endsWith(tail) || m.length < head.length + tail.length) return undefined;
  return m.slice(head.length, m.length - tail.length);
}

export function describe(err: unknown): string {
  if (err instanceof RpcError) return `${err.codeName}: ${err.message.split('\n')[0]}`;
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
}
