/**
 * What the `blixard` CLI prints, read back as the lab's contract messages (pure): VM status and lists,
 * and a failed command as a status code. The CLI prints Debug names of Blixard's `VmStatus`
 * (Creating, Starting, Running, Stopping, Stopped, Failed).
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

export function vmStateOf(debugName: string): VmState {
  const s = STATES[debugName.toLowerCase()];
  if (s === undefined) throw new Error(`blixard: unknown VM state '${debugName}'`);
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

/** `blixard vm status --name X`: the VM, or undefined for `VM 'X' not found`. */
export function parseVmStatus(name: string, text: string): CliVm | undefined {
  const plain = text.replace(ANSI, '');
  if (plain.includes(`VM '${name}' not found`)) return undefined;
  const field = (label: string) => new RegExp(`^\\s*${label}: (.+?)\\s*$`, 'm').exec(plain)?.[1];
  const state = field('State');
  const node = field('Node ID');
  if (state === undefined || node === undefined)
    throw new Error(`blixard vm status: no 'State:' and 'Node ID:' lines in: ${plain.trim().slice(0, 300)}`);
  return {
    name,
    state: vmStateOf(state),
    node: Number(node),
    vcpus: Number(field('vCPUs') ?? 0),
    memoryMb: Number(/^(\d+)/.exec(field('Memory') ?? '')?.[1] ?? 0),
  };
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
