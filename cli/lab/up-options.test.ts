import { describe, expect, it } from 'vitest';
import { upOptions } from './commands.ts';

describe('lab up: the system under test', () => {
  it('runs the reference node by default, the real Blixard in iroh mode with --sut blixard-rs', async () => {
    expect((await upOptions({})).sut).toBeUndefined();
    const o = await upOptions({ sut: 'blixard-rs', blixardRef: 'c127604' });
    expect(o).toMatchObject({
      sut: 'blixard-rs',
      mode: 'iroh',
      runtime: 'docker',
      blixard: { ref: 'c127604' },
    });
    expect((await upOptions({ sut: 'blixard-rs', blixardSrc: '/src/blixard' })).blixard).toEqual({
      src: '/src/blixard',
    });
  });

  it('refuses what the real Blixard cannot run, naming the option', async () => {
    await expect(upOptions({ sut: 'blixard-rs', mode: 'dual' })).rejects.toThrow(
      /mode: blixard-rs is Iroh-only/,
    );
    await expect(upOptions({ sut: 'blixard-rs', runtime: 'process' })).rejects.toThrow(
      /runtime: blixard-rs runs on the docker runtime only/,
    );
    await expect(upOptions({ sut: 'rust' })).rejects.toThrow(/sut/);
    await expect(upOptions({ blixardRef: 'c127604' })).rejects.toThrow(
      /choose the Blixard of --sut blixard-rs/,
    );
    await expect(upOptions({ blixardMembers: 'confirmed' })).rejects.toThrow(
      /choose the Blixard of --sut blixard-rs/,
    );
    await expect(upOptions({ sut: 'blixard-rs', blixardMembers: 'all' })).rejects.toThrow(
      /--blixard-members: 'all' is neither joined nor confirmed/,
    );
    expect(await upOptions({ sut: 'blixard-rs', blixardMembers: 'confirmed' })).toMatchObject({
      blixardMembers: 'confirmed',
    });
  });
});
