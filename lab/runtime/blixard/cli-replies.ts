/**
 * What the `blixard` CLI prints, read back as the lab's contract messages (pure): VM status and lists,
 * and a failed command as a status code. The CLI prints a VM's state as the number its client
 * gives it (`iroh_client.rs`: 1 Creating, 2 Starting, 3 Running, 4 Stopping, 5 Stopped, 6 Failed,
 * 0 for anything else); the names are read too.
 */
import { VmState } from '../../../node/gen/blixard_pb.js';
import { Code } from '../../../node/transport/index.ts';

type StatusCode = (typeof Code)[keyof typeof Code];

// biome-ignore lint/suspicious/noControlCharactersInRegex: tracing colours its output
const ANSI = /\x1b\[[0-9;]*m/g;

const STATES: Record<string, VmState> = {
  creating: VmState.CREATED,
  starting: VmState.STARTING,
  running: VmState.RUNNING,
  stopping: VmState.STOPPING,
  stopped: VmState.STOPPED,
  failed: VmState.FAILED,
};

const NUMBERED = ['creating', 'starting', 'running', 'stopping', 'stopped', 'failed'];

export function vmStateOf(printed: string): VmState {
  const name = /^\d+$/.test(printed) ? NUMBERED[Number(printed) - 1] : printed.toLowerCase();
  const s = name === undefined ? undefined : STATES[name];
  if (s === undefined) throw new Error(`blixard: unknown VM state '${printed}'`);
  return s;
}

export interface CliVm {
  name: string;
  state: VmState;
  /** Blixard's numeric node id. */
  node: number;
  vcpus: number;
  memoryMb: number;
}

/** `blixard vm list`: `  - name: Running (2vcpu, 1024MB) IP: no IP on node 1` lines. */
export function parseVmList(text: string): CliVm[] {
  const plain = text.replace(ANSI, '');
  if (/^No VMs found\s*$/m.test(plain)) return [];
  if (!/^VMs:\s*$/m.test(plain))
    throw new Error(`blixard vm list: no 'VMs:' line in: ${plain.trim().slice(0, 300)}`);
  return [...plain.matchAll(/^\s*- (\S+): (\w+) \((\d+)vcpu, (\d+)MB\) IP: .* on node (\d+)\s*$/gm)].map(
    (m) => ({
      name: m[1] as string,
      state: vmStateOf(m[2] as string),
      vcpus: Number(m[3]),
      memoryMb: Number(m[4]),
      node: Number(m[5]),
    }),
  );
}

/**
 * A CLI run that failed, as a status code: `timeout` killed it (124/137: the outcome is unknown), it
 * could not connect (UNAVAILABLE), or Blixard refused with a message naming why. Anything else is
 * UNKNOWN, which a workload counts as an op of unknown outcome, never as one that did not happen.
 */
export function codeOfFailure(exitCode: number, text: string): StatusCode {
  if (exitCode === 124 || exitCode === 137) return Code.DEADLINE_EXCEEDED;
  const t = text.toLowerCase();
  if (/already exists/.test(t)) return Code.ALREADY_EXISTS;
  if (/vm '?[^ ']+'? (not found|does not exist)/.test(t)) return Code.NOT_FOUND;
  if (/failed to connect|connection (refused|lost|closed)|timed out/.test(t)) return Code.UNAVAILABLE;
  return Code.UNKNOWN;
}
