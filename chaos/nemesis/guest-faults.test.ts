import { describe, expect, it } from 'vitest';
import { parseGuestLines, RogueGuestOpSchema, rogueArgv } from './guest-faults.ts';

const LINE =
  '/proc/42 /usr/local/bin/node /app/node/vm/guest/guest.ts --name=vm1 --node=n1 --dir=/var/lib/blixard/vms/vm1 --vcpus=1 --memory-mb=64 --disk=/var/lib/blixard/vms/vm1/disk.img';

describe('rogue-guest', () => {
  it("reads a container's guests from /proc lines, skipping what names no VM", () => {
    const guests = parseGuestLines(`${LINE}\n/proc/7 sh -c case *--name=*--node=*) …\ngarbage\n`);
    expect(guests).toEqual([{ pid: 42, vm: 'vm1', argv: expect.arrayContaining(['--name=vm1']) }]);
  });

  it('the copy runs the same program and VM as another node, in its own dir, without the disk', () => {
    const [g] = parseGuestLines(LINE);
    expect(rogueArgv(g?.argv ?? [], 'n2', '/tmp/rogue-vm1')).toEqual([
      '/usr/local/bin/node',
      '/app/node/vm/guest/guest.ts',
      '--name=vm1',
      '--node=n2',
      '--dir=/tmp/rogue-vm1',
      '--vcpus=1',
      '--memory-mb=64',
    ]);
  });

  it('refuses a node that is not a node id', () => {
    expect(RogueGuestOpSchema.safeParse({ do: 'rogue-guest', node: 'leader' }).success).toBe(false);
  });
});
