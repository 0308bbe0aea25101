/** `lab call`: any RPC of the contract to any node of the running lab, over gRPC or Iroh, JSON in and out. */
export { type CallFlags, type CallIo, callCommand, callNode } from './call.ts';
export { listMethods, parseDeadline, requestFromJson, resolveMethod } from './method-ref.ts';
