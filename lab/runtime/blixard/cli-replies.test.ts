import { describe, expect, it } from 'vitest';
import { VmState } from '../../../node/gen/blixard_pb.js';
import { Code } from '../../../node/transport/index.ts';
import { codeOfFailure, parseVmList, parseVmStatus } from './cli-replies.ts';

describe("the blixard CLI's VM output", () => {
  it('reads a VM status, and its absence', () => {
    const out =
      "VM 'web' Status:\n  State: Running\n  Node ID: 2\n  vCPUs: 2\n  Memory: 1024 MB\n  IP Address: not assigned\n";
    expect(parseVmStatus('web', out)).toEqual({
      name: 'web',
      state: VmState.RUNNING,
      node: 2,
      vcpus: 2,
      memoryMb: 1024,
    });
    expect(parseVmStatus('web', "VM 'web' not found\n")).toBeUndefined();
  });

  it('reads a VM list, an empty one too', () => {
    const out =
      'VMs:\n  - a: Creating (1vcpu, 256MB) IP: no IP on node 1\n  - b: Stopped (2vcpu, 1024MB) IP: 10.0.0.5 on node 3\n';
    expect(parseVmList(out).map((v) => [v.name, v.state, v.node])).toEqual([
      ['a', VmState.CREATED, 1],
      ['b', VmState.STOPPED, 3],
    ]);
    expect(parseVmList('No VMs found\n')).toEqual([]);
  });

  it('names what it could not read', () => {
    expect(() => parseVmStatus('web', 'garbage')).toThrow(/no 'State:' and 'Node ID:' lines in: garbage/);
    expect(() => parseVmList('VMs:\n  - a: Sleeping (1vcpu, 1MB) IP: no IP on node 1\n')).toThrow(
      /unknown VM state 'Sleeping'/,
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
