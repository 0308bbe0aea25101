/** The guest sampler's reading of process lists (what the in-container loop and the host's /proc give). */
import { describe, expect, it } from 'vitest';
import { frameTime, parseGuests } from './sampler.ts';

describe('parseGuests', () => {
  it('keeps processes that name a VM and a node, with their pid', () => {
    const text = [
      '1 node /app/node/main.ts --config /etc/blixard/node.toml',
      '57 /usr/local/bin/node /app/node/vm/guest/guest.ts --name=run.vm0-1 --node=n2 --dir=/var/lib/blixard/vms/run.vm0-1 --vcpus=1 ',
      '12 /usr/local/bin/node /app/node/vm/guest/guest.ts --name=run.vm1-0 --node=n2 --dir=/x',
      'garbage line',
      '',
      '99 sh -c echo --name=x',
    ].join('\n');
    expect(parseGuests(text)).toEqual([
      { pid: 12, vm: 'run.vm1-0', owner: 'n2', vcpus: 0, memoryMb: 0 },
      { pid: 57, vm: 'run.vm0-1', owner: 'n2', vcpus: 1, memoryMb: 0 },
    ]);
  });

  it('an empty frame is no guests', () => {
    expect(parseGuests('')).toEqual([]);
  });

  it('a frame is timed by when its scan began, not by when it reached the host', () => {
    const frame = '@@t 1000500\n12 node guest.ts --name=a --node=n1\n';
    // Arrived 400 ms after the scan began: seen at run time 5000 − 400.
    expect(frameTime(frame, 5000, 1000900)).toBe(4600);
    expect(parseGuests(frame)).toHaveLength(1);
    expect(frameTime('12 node guest.ts --name=a --node=n1', 5000, 1000900)).toBe(5000);
  });
});
