/** Errors the lab explains to its user: each says what failed and what to do about it. */
export class LabError extends Error {
  /** A short machine-readable kind, e.g. for `lab up`'s exit status and tests. */
  readonly kind:
    | 'engine-missing'
    | 'port-taken'
    | 'image-build'
    | 'node-unhealthy'
    | 'hub'
    | 'state'
    | 'usage';

  constructor(kind: LabError['kind'], message: string) {
    super(message);
    this.name = 'LabError';
    this.kind = kind;
  }
}

export function nodeUnhealthy(node: string, reason: string, lastLogLines: readonly string[]): LabError {
  const tail =
    lastLogLines.length > 0
      ? `\nlast log lines of ${node}:\n${lastLogLines.map((l) => `  ${l}`).join('\n')}`
      : '';
  return new LabError('node-unhealthy', `node ${node} is not healthy: ${reason}${tail}`);
}
