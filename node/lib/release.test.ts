import { describe, expect, it } from 'vitest';
import { detach, isDockerGone, orAbsent, release } from './release.ts';

describe('release', () => {
  it('waits for the release and tells onError of a failure, never throwing', async () => {
    const heard: unknown[] = [];
    await release(Promise.reject(new Error('already closed')), (e) => heard.push(e));
    await release(
      () => Promise.reject(new Error('gone')),
      (e) => heard.push(e),
    );
    await release(undefined);
    let ran = false;
    await release(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(heard.map((e) => (e as Error).message)).toEqual(['already closed', 'gone']);
  });

  it('detach hands a failure to onError', async () => {
    const heard: unknown[] = [];
    detach(Promise.reject(new Error('lost')), (e) => heard.push(e));
    await new Promise((r) => setImmediate(r));
    expect(heard).toHaveLength(1);
  });

  it('orAbsent reads a failure as absent, a value as itself', async () => {
    expect(await orAbsent(Promise.reject(new Error('ENOENT')))).toBeUndefined();
    expect(await orAbsent(Promise.resolve(0))).toBe(0);
  });

  it('isDockerGone knows 404 and 409 only', () => {
    expect(isDockerGone({ statusCode: 404 })).toBe(true);
    expect(isDockerGone({ statusCode: 409 })).toBe(true);
    expect(isDockerGone({ statusCode: 500 })).toBe(false);
    expect(isDockerGone(new Error('x'))).toBe(false);
  });
});
