/**
 * The cases where an error is dropped on purpose, each named, so a bare `.catch(() => {})` — which
 * could hide a fault — has no place left in the project.
 */

/**
 * Releasing a resource: closing a channel or endpoint, resetting a stream, removing a container or
 * a toxic. The thing is gone or going either way, and a failure to release it says nothing about the
 * system under test; `onError`, when given, still hears of it (a log, a warning line).
 */
export async function release(
  work: Promise<unknown> | (() => Promise<unknown>) | undefined,
  onError?: (err: unknown) => void,
): Promise<void> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    onError?.(err);
  }
}

/**
 * Starts `work` without waiting for it, for effects that may be lost without harm (a best-effort
 * state write, a background echo); its failure goes to `onError`.
 */
export function detach(work: Promise<unknown>, onError: (err: unknown) => void = () => undefined): void {
  work.catch(onError);
}

/** Reads something that may legitimately be absent (a file, a stopped node's answer): any failure is "absent". */
export async function orAbsent<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch {
    return undefined;
  }
}

/** Docker's "no such object" (404) and "removal already in progress" (409): the object is gone or going. */
export function isDockerGone(err: unknown): boolean {
  const status = (err as { statusCode?: number } | undefined)?.statusCode;
  return status === 404 || status === 409;
}
