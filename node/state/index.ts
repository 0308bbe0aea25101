/** The replicated state machine of the reference node. */

export {
  type ApplyResult,
  ClusterState,
  canonicalJson,
  type ImageRecord,
  type MemberRecord,
  type TaskRecord,
  type VmRecord,
} from './cluster-state.ts';
export {
  type AddressRecord,
  type Command,
  decodeCommand,
  encodeCommand,
  type ResourcesRecord,
  VM_STATES,
  type VmSpecRecord,
  type VmStateName,
} from './commands.ts';
export { nodeUsage, type Usage } from './usage.ts';
