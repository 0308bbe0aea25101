/**
 * The default VM backend: each microVM is a guest child process (node/vm/
 * guest) run by this node's own Node binary, with its files under
 * data_dir/vms/<name>/ — disk.img, guest.pid, heartbeat.json, guest.log.
 * The guest's stdin is a pipe from the node, so the guest exits with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.ts';
import type { GuestSpec, GuestStatus, VmBackend } from './backend.ts';
import { isAlive, isOurGuest, readPidFile, writePidFile } from './pid-file.ts';

export const DEFAULT_GUEST = resolve(import.meta.dirname, 'guest', 'guest.ts');

export interface ProcessBackendOptions {
  /** data_dir/vms */
  root: string;
  nodeId: string;
  program: string;
  memoryScale: number;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  /** How long a guest may take to send its first heartbeat. */
  bootTimeoutMs?: number;
  log: Logger;
}

interface Running {
  child: ChildProcess;
  pid: number;
  startedAtMs: number;
  exited: Promise<void>;
}

export class ProcessBackend implements VmBackend {
  readonly kind = 'process';
  private readonly o: ProcessBackendOptions;
  private readonly running = new Map<string, Running>();

  constructor(o: ProcessBackendOptions) {
    this.o = o;
  }

  private dir(name: string): string {
    return join(this.o.root, name);
  }

  async start(spec: GuestSpec): Promise<GuestStatus> {
    const existing = this.status(spec.name);
    if (existing) return existing;
    const dir = this.dir(spec.name);
    await mkdir(dir, { recursive: true });
    const disk = join(dir, 'disk.img');
    if (!existsSync(disk)) {
      if (spec.imagePath) {
        await copyFile(spec.imagePath, disk, constants.COPYFILE_FICLONE);
      } else {
        this.o.log.warn('no image for the vm on this node; booting an empty disk', { vm: spec.name });
        await writeFile(disk, '');
      }
    }
    await rm(join(dir, 'heartbeat.json'), { force: true });
    const logFd = openSync(join(dir, 'guest.log'), 'a');
    const args = [
      this.o.program,
      `--name=${spec.name}`,
      `--node=${this.o.nodeId}`,
      `--dir=${dir}`,
      `--vcpus=${spec.vcpus}`,
      `--memory-mb=${spec.memoryMb}`,
      `--memory-scale=${this.o.memoryScale}`,
      `--disk=${disk}`,
      `--heartbeat-ms=${this.o.heartbeatMs}`,
    ];
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { stdio: ['pipe', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    // An unhandled 'error' (spawn failure, a broken stdin pipe) would take the whole node down.
    child.on('error', (err) => this.o.log.warn('guest process error', { vm: spec.name, error: String(err) }));
    child.stdin?.on('error', () => undefined);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not spawn the guest of ${spec.name}`);
    const startedAtMs = Date.now();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const run: Running = { child, pid, startedAtMs, exited };
    this.running.set(spec.name, run);
    writePidFile(join(dir, 'guest.pid'), { pid, name: spec.name, startedAtMs, program: this.o.program });
    void exited.then(() => {
      if (this.running.get(spec.name) === run) this.running.delete(spec.name);
    });
    await this.waitForBoot(spec.name, run);
    const status = this.status(spec.name);
    if (!status) throw new Error(`guest of ${spec.name} exited while booting`);
    return status;
  }

  private async waitForBoot(name: string, run: Running): Promise<void> {
    const until = Date.now() + (this.o.bootTimeoutMs ?? 30_000);
    let dead = false;
    void run.exited.then(() => {
      dead = true;
    });
    while (Date.now() < until) {
      if (dead) throw new Error(`guest of ${name} exited while booting (see ${this.dir(name)}/guest.log)`);
      if (this.heartbeat(name)?.pid === run.pid) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill('SIGKILL');
    await run.exited;
    throw new Error(`guest of ${name} sent no heartbeat within ${this.o.bootTimeoutMs ?? 30_000} ms`);
  }

  private heartbeat(name: string): { pid: number; atMs: number } | undefined {
    try {
      const hb = JSON.parse(readFileSync(join(this.dir(name), 'heartbeat.json'), 'utf8')) as {
        pid: number;
        atMs: number;
      };
      return hb;
    } catch {
      return undefined;
    }
  }

  async stop(name: string, force: boolean): Promise<void> {
    const run = this.running.get(name);
    if (run) {
      run.child.kill(force ? 'SIGKILL' : 'SIGTERM');
      const escalate = setTimeout(() => run.child.kill('SIGKILL'), 5000);
      await run.exited;
      clearTimeout(escalate);
      this.running.delete(name);
    }
    await rm(join(this.dir(name), 'guest.pid'), { force: true });
  }

  status(name: string): GuestStatus | undefined {
    const run = this.running.get(name);
    if (!run) return undefined;
    const hb = this.heartbeat(name);
    const last = hb?.pid === run.pid ? hb.atMs : 0;
    return {
      name,
      pid: run.pid,
      startedAtMs: run.startedAtMs,
      lastHeartbeatMs: last,
      // Before the first heartbeat the guest is booting, which is not unhealthy.
      healthy:
        last === 0
          ? Date.now() - run.startedAtMs < this.o.heartbeatTimeoutMs
          : Date.now() - last < this.o.heartbeatTimeoutMs,
    };
  }

  guests(): GuestStatus[] {
    return [...this.running.keys()].flatMap((n) => this.status(n) ?? []);
  }

  known(): string[] {
    try {
      return readdirSync(this.o.root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
  }

  async forget(name: string): Promise<void> {
    if (this.running.has(name)) throw new Error(`vm ${name} is running here`);
    await rm(this.dir(name), { recursive: true, force: true });
  }

  async reapOrphans(): Promise<string[]> {
    const reaped: string[] = [];
    for (const name of this.known()) {
      if (this.running.has(name)) continue;
      const pidFile = join(this.dir(name), 'guest.pid');
      const record = readPidFile(pidFile);
      if (!record) continue;
      if (isOurGuest(record.pid, record.program, name)) {
        process.kill(record.pid, 'SIGTERM');
        for (let i = 0; i < 100 && isAlive(record.pid); i++) await new Promise((r) => setTimeout(r, 50));
        if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
        reaped.push(name);
      }
      await rm(pidFile, { force: true });
    }
    return reaped;
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name, false)));
  }
}
