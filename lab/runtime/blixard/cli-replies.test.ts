import { describe, expect, it } from 'vitest';
import { VmState } from '../../../node/gen/blixard_pb.js';
import { Code } from '../../../node/transport/index.ts';
import { codeOfFailure, parseVmList } from './cli-replies.ts';

describe("the blixard CLI's VM output", () => {
  it('reads a VM list, an empty one too', () => {
    const out =
      'VMs:\n  - a: Creating (1vcpu, 256MB) IP: no IP on node 1\n  - b: Stopped (2vcpu, 1024MB) IP: 10.0.0.5 on node 3\n';
    expect(parseVmList(out).map((v) => [v.name, v.state, v.node])).toEqual([
      ['a', VmState.CREATED, 1],
      ['b', VmState.STOPPED, 3],
    ]);
    expect(parseVmList('No VMs found\n')).toEqual([]);
    // As the CLI prints them: the state's number.
    expect(parseVmList('VMs:\n  - c: 3 (2vcpu, 1024MB) IP: no IP on node 2\n')[0]?.state).toBe(
      VmState.RUNNING,
    );
  });

  it('names what it could not read', () => {
    expect(() => parseVmList('garbage')).toThrow(/no 'VMs:' line in: garbage/);
    expect(() => parseVmList('VMs:\n  - a: Sleeping (1vcpu, 1MB) IP: no IP on node 1\n')).toThrow(
      /unknown VM state 'Sleeping'/,
    );
    expect(() => parseVmList('VMs:\n  - a: 0 (1vcpu, 1MB) IP: no IP on node 1\n')).toThrow(
      /unknown VM state '0'/,
    );
  });

  it('turns a failed run into a code: unknown outcome unless it surely did not happen', () => {
    expect(codeOfFailure(124, '')).toBe(Code.DEADLINE_EXCEEDED);
    expect(codeOfFailure(1, "Error: VM 'web' already exists")).toBe(Code.ALREADY_EXISTS);
    expect(codeOfFailure(1, "Error: VM operation failed: vm 'web' not found")).toBe(Code.NOT_FOUND);
    expect(codeOfFailure(1, 'Failed to connect to node at nodeabc')).toBe(Code.UNAVAILABLE);
    expect(codeOfFailure(1, 'Raft proposal dropped')).toBe(Code.UNKNOWN);
  });
});
