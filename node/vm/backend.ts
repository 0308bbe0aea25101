/**
 * What runs a microVM on a node. The reconciler drives a backend through
 * this interface only; `process` (a guest child process) is the default,
 * and a real hypervisor backend would implement the same calls.
 */

export interface GuestSpec {
  name: string;
  vcpus: number;
  memoryMb: number;
  /** Disk image to boot from (copied into the VM's own directory); undefined: an empty disk. */
  imagePath: string | undefined;
}

export interface GuestStatus {
  name: string;
  pid: number;
  startedAtMs: number;
  /** A heartbeat within the timeout. */
  healthy: boolean;
  lastHeartbeatMs: number;
}

export interface VmBackend {
  readonly kind: string;
  /** Boots the guest; resolves once it is up (its first heartbeat), rejects if it dies first. */
  start(spec: GuestSpec): Promise<GuestStatus>;
  /** Stops the guest and waits until it is gone; a missing guest is already stopped. */
  stop(name: string, force: boolean): Promise<void>;
  /** Guests this backend runs now. */
  guests(): GuestStatus[];
  status(name: string): GuestStatus | undefined;
  /** VMs with files on this node (running or not). */
  known(): string[];
  /** Removes a stopped VM's files. */
  forget(name: string): Promise<void>;
  /** Kills guests left by an earlier run of the node (found by their pid files); returns their names. */
  reapOrphans(): Promise<string[]>;
  /** Stops every guest. */
  close(): Promise<void>;
}
