/**
 * The lab's contract (ClusterService, BlixardService) spoken to a real Blixard node by running its own
 * `blixard` CLI: an RpcChannel whose calls decode the request, run the CLI command that does the same
 * (in the client container, through the node's client link) and encode what it printed as the reply.
 * So the lab's typed clients, workloads and samplers work unchanged on blixard-rs, for the calls the
 * CLI has; any other call is UNIMPLEMENTED. Why the CLI and not a client of the lab's own: see
 * docs/ARCHITECTURE.md, "The real Blixard".
 */
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { BlixardService, ClusterService, NodeRole, VmState } from '../../../node/gen/blixard_pb.js';
import { type CallOptions, Code, type RpcChannel, RpcError } from '../../../node/transport/index.ts';
import type { NodeState } from '../../state/index.ts';
import { nodeId } from '../../topology/index.ts';
import type { ExecResult } from '../driver.ts';
import { codeOfFailure, parseVmList } from './cli-replies.ts';
import { type BlixardClusterStatus, parseClusterStatus } from './log-lines.ts';

/** Runs the CLI against a node (BlixardDriver.cli). */
export type RunCli = (node: NodeState, args: readonly string[], timeoutMs: number) => Promise<ExecResult>;

const ROLE: Record<string, NodeRole> = {
  leader: NodeRole.LEADER,
  follower: NodeRole.FOLLOWER,
  candidate: NodeRole.CANDIDATE,
};

/** The CLI's default VM size when a request names none (its own defaults: 2 vCPUs, 1024 MB). */
const DEFAULT_VCPUS = 2;
const DEFAULT_MEMORY_MB = 1024;

export class BlixardCliChannel implements RpcChannel {
  readonly transport = 'iroh' as const;
  readonly #node: NodeState;
  readonly #run: RunCli;

  constructor(node: NodeState, run: RunCli) {
    this.#node = node;
    this.#run = run;
  }

  async unary(
    service: string,
    method: string,
    request: Uint8Array,
    opts: CallOptions = {},
  ): Promise<Uint8Array> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const svc =
      service === ClusterService.typeName
        ? ClusterService
        : service === BlixardService.typeName
          ? BlixardService
          : undefined;
    const desc = svc?.methods.find((m) => m.name === method);
    if (!desc)
      throw new RpcError(Code.UNIMPLEMENTED, `blixard-rs: ${service}/${method} has no blixard CLI command`);
    const input = fromBinary(desc.input, request) as Record<string, unknown>;
    const reply = await this.#call(
      `${svc === ClusterService ? 'cluster' : 'blixard'}/${method}`,
      input,
      timeoutMs,
    );
    return toBinary(
      desc.output,
      create(desc.output as DescMessage, reply as never) as MessageShape<DescMessage>,
    );
  }

  // biome-ignore lint/correctness/useYield: no streaming call has a CLI command
  async *serverStream(service: string, method: string): AsyncIterable<Uint8Array> {
    throw new RpcError(
      Code.UNIMPLEMENTED,
      `blixard-rs: ${service}/${method} streams; the blixard CLI does not`,
    );
  }

  async close(): Promise<void> {}

  /** Runs one CLI command; a failed run is an RpcError with the code its output implies. */
  async #cli(args: readonly string[], timeoutMs: number): Promise<string> {
    const res = await this.#run(this.#node, args, timeoutMs);
    if (res.code === 0) return res.stdout;
    const text = `${res.stderr}\n${res.stdout}`.trim();
    const last =
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1) ?? `exit ${res.code}`;
    throw new RpcError(codeOfFailure(res.code, text), `blixard ${args.slice(0, 2).join(' ')}: ${last}`);
  }

  async #status(timeoutMs: number): Promise<BlixardClusterStatus> {
    return parseClusterStatus(await this.#cli(['cluster', 'status', '--addr', '{ticket}'], timeoutMs));
  }

  async #call(
    name: string,
    input: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const vmName = String(input.name ?? '');
    switch (name) {
      case 'cluster/HealthCheck':
        await this.#status(timeoutMs);
        return { healthy: true, message: 'blixard cluster status answered' };
      case 'cluster/GetClusterStatus': {
        const s = await this.#status(timeoutMs);
        return {
          leaderId: s.leader === undefined ? '' : nodeId(s.leader),
          term: BigInt(s.term),
          members: s.nodes.map((n) => ({
            id: nodeId(n.id),
            role: ROLE[n.role] ?? NodeRole.UNSPECIFIED,
            voter: true,
          })),
        };
      }
      case 'blixard/GetRaftStatus': {
        const s = await this.#status(timeoutMs);
        const own = s.nodes.find((n) => n.id === this.#node.index)?.role;
        const role = s.leader === this.#node.index ? 'leader' : (own ?? 'follower');
        return {
          nodeId: this.#node.id,
          role: ROLE[role] ?? NodeRole.UNSPECIFIED,
          term: BigInt(s.term),
          leaderId: s.leader === undefined ? '' : nodeId(s.leader),
        };
      }
      case 'cluster/CreateVm': {
        const vcpus = Number(input.vcpus) || DEFAULT_VCPUS;
        const memory = Number(input.memoryMb) || DEFAULT_MEMORY_MB;
        const out = await this.#cli(
          ['vm', 'create', '--name', vmName, '--vcpus', String(vcpus), '--memory', String(memory)],
          timeoutMs,
        );
        return {
          success: true,
          vmId: /VM ID: (\S+)/.exec(out)?.[1] ?? vmName,
          message: out.trim().split('\n').at(-1) ?? '',
        };
      }
      case 'cluster/StartVm':
      case 'cluster/StopVm':
      case 'cluster/DeleteVm': {
        const verb = name.slice('cluster/'.length, -'Vm'.length).toLowerCase();
        const out = await this.#cli(['vm', verb, '--name', vmName], timeoutMs);
        return { success: true, message: out.trim().split('\n').at(-1) ?? '' };
      }
      case 'cluster/GetVmStatus': {
        // Blixard's own `vm status` answers "not found" for every VM (its service's get_vm_status is
        // a stub returning None), so a VM's status is read from `vm list`, as its records are.
        const vm = parseVmList(await this.#cli(['vm', 'list'], timeoutMs)).find((v) => v.name === vmName);
        if (!vm) throw new RpcError(Code.NOT_FOUND, `vm ${vmName} not found`);
        return { found: true, vm: vmInfo(vm) };
      }
      case 'cluster/ListVms':
        return { vms: parseVmList(await this.#cli(['vm', 'list'], timeoutMs)).map(vmInfo) };
    }
    throw new RpcError(Code.UNIMPLEMENTED, `blixard-rs: ${name} has no blixard CLI command`);
  }
}

function vmInfo(vm: ReturnType<typeof parseVmList>[number]) {
  return {
    name: vm.name,
    state: vm.state ?? VmState.UNSPECIFIED,
    nodeId: nodeId(vm.node),
    vcpus: vm.vcpus,
    memoryMb: BigInt(vm.memoryMb),
  };
}
