/**
 * gRPC status codes, used on both transports so the same failure carries the
 * same code whichever way a call travelled.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type CodeName = keyof typeof Code;
export type StatusCode = (typeof Code)[CodeName];

const namesByCode = new Map<number, CodeName>(
  Object.entries(Code).map(([name, code]) => [code, name as CodeName]),
);

export function codeName(code: number): CodeName {
  return namesByCode.get(code) ?? 'UNKNOWN';
}

export function codeFromName(name: string): StatusCode | undefined {
  return Object.hasOwn(Code, name) ? Code[name as CodeName] : undefined;
}

/** An RPC failure with its status code; what handlers throw and clients see. */
export class RpcError extends Error {
  readonly code: StatusCode;

  constructor(code: StatusCode, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
  }

  get codeName(): CodeName {
    return codeName(this.code);
  }

  override toString(): string {
    return `${this.codeName}: ${this.message}`;
  }
}

/** Any thrown value as an RpcError; unexpected errors become INTERNAL. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError(Code.INTERNAL, message);
}
