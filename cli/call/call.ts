/**
 * `lab call <node> <Service>/<Method> '<json>' [--transport grpc|iroh] [--deadline 2s]`: grpcurl for
 * both transports of the running lab. JSON in and out through the proto's JSON mapping; a status from
 * the node is printed as `CODE_NAME: message` with exit status 1; a server stream prints one JSON
 * document per message until it ends or its deadline passes.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Cluster, LabError, readState } from '../../lab/runtime/index.ts';
import { codeName, RpcError, type TransportKind } from '../../node/transport/index.ts';
import type { LabIo } from '../io.ts';
import { listMethods, parseDeadline, replyToJson, requestFromJson, resolveMethod } from './method-ref.ts';

export type CallIo = LabIo;

export interface CallFlags {
  transport?: string;
  deadline?: string;
  list?: boolean;
}

const DEFAULT_DEADLINE_MS = 10_000;

/** The call against an attached cluster; the command below attaches and detaches around it. */
export async function callNode(
  cluster: Cluster,
  nodeId: string,
  ref: string,
  json: string,
  flags: CallFlags,
  io: Pick<CallIo, 'out' | 'err'>,
): Promise<number> {
  const target = resolveMethod(ref);
  const request = requestFromJson(target, json);
  const timeoutMs = flags.deadline === undefined ? DEFAULT_DEADLINE_MS : parseDeadline(flags.deadline);
  if (flags.transport !== undefined && flags.transport !== 'grpc' && flags.transport !== 'iroh') {
    throw new LabError('usage', `--transport '${flags.transport}': expected grpc or iroh`);
  }
  const node = cluster.nodes.find((n) => n.id === nodeId);
  if (!node) {
    throw new LabError('usage', `node '${nodeId}': the lab has ${cluster.nodes.map((n) => n.id).join(', ')}`);
  }
  const served = node.clients.map((c) => c.transport);
  const transport = (flags.transport ?? served[0]) as TransportKind;
  if (!served.includes(transport)) {
    throw new LabError(
      'usage',
      `--transport ${transport}: ${nodeId} serves ${served.join(' and ')} (mode ${node.state.mode})`,
    );
  }
  const { channel } = node.client(transport);
  const bytes = toBinary(target.method.input, request);
  const service = target.service.typeName;
  const show = (reply: Uint8Array) => {
    const message = fromBinary(target.method.output, reply);
    io.out(`${JSON.stringify(replyToJson(target.method.output, message), null, 2)}\n`);
  };
  try {
    if (target.method.methodKind === 'server_streaming') {
      for await (const reply of channel.serverStream(service, target.method.name, bytes, { timeoutMs }))
        show(reply);
    } else {
      show(await channel.unary(service, target.method.name, bytes, { timeoutMs }));
    }
    return 0;
  } catch (err) {
    if (err instanceof RpcError) {
      io.err(`${codeName(err.code)}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** `lab call ...` against the lab remembered in the state file. */
export async function callCommand(
  nodeId: string | undefined,
  ref: string | undefined,
  json: string | undefined,
  flags: CallFlags,
  io: CallIo,
): Promise<number> {
  if (flags.list) {
    io.out(listMethods());
    return 0;
  }
  if (!nodeId || !ref)
    throw new LabError('usage', 'lab call <node> <Service>/<Method> [json] (or lab call --list)');
  resolveMethod(ref);
  const state = await readState(io.stateFile);
  if (!state) throw new LabError('state', 'no lab is up (start one with `lab up`)');
  const cluster = await Cluster.attach(state);
  try {
    return await callNode(cluster, nodeId, ref, json ?? '{}', flags, io);
  } finally {
    await cluster.detach();
  }
}
