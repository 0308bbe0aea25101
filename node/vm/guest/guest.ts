#!/usr/bin/env node
/**
 * The guest program a "process" microVM runs: it holds (a share of) its
 * declared memory resident, opens its disk image, writes a heartbeat file the
 * node watches, and answers a status request on a Unix socket. It shares its
 * node's fate: when the node's end of stdin closes (the node stopped or was
 * killed), the guest exits, so a dead node never leaves a VM running that
 * another node might start after a migration.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    node: { type: 'string', default: '' },
    dir: { type: 'string' },
    vcpus: { type: 'string', default: '1' },
    'memory-mb': { type: 'string', default: '64' },
    'memory-scale': { type: 'string', default: '1' },
    disk: { type: 'string', default: '' },
    'heartbeat-ms': { type: 'string', default: '500' },
  },
});
const name = values.name;
const dir = values.dir;
if (!name || !dir) {
  process.stderr.write('guest: --name and --dir are required\n');
  process.exit(2);
}
const memoryMb = Number(values['memory-mb']);
const heldBytes = Math.floor(memoryMb * Number(values['memory-scale']) * 2 ** 20);
const heartbeatMs = Number(values['heartbeat-ms']);
const started = Date.now();

// Touch every page so the memory is resident, not just reserved.
const memory = Buffer.allocUnsafe(heldBytes);
for (let i = 0; i < memory.length; i += 4096) memory[i] = i & 0xff;

const disk = inspectDisk(values.disk);
let seq = 0;

function status() {
  return {
    name,
    node: values.node,
    pid: process.pid,
    vcpus: Number(values.vcpus),
    memoryMb,
    heldBytes: memory.length,
    rssBytes: process.memoryUsage().rss,
    disk,
    seq,
    atMs: Date.now(),
    uptimeMs: Date.now() - started,
  };
}

function beat(): void {
  seq += 1;
  const file = join(dir as string, 'heartbeat.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(status()));
  renameSync(`${file}.tmp`, file);
}

const socketPath = join(dir, 'status.sock');
rmSync(socketPath, { force: true });
const server = createServer((socket) => socket.end(`${JSON.stringify(status())}\n`));
// Unix socket paths are limited (~107 bytes); the heartbeat file is the contract, the socket a convenience.
if (Buffer.byteLength(socketPath) < 100) server.listen(socketPath);

beat();
const timer = setInterval(beat, heartbeatMs);

function shutdown(code: number): void {
  clearInterval(timer);
  server.close();
  rmSync(socketPath, { force: true });
  process.exit(code);
}
process.stdin.on('end', () => shutdown(0));
process.stdin.on('close', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

/** The disk's size and its first bytes' checksum ("boot sector"); an absent path is an empty disk. */
function inspectDisk(path: string | undefined): { path: string; bytes: number; bootSum: number } {
  if (!path) return { path: '', bytes: 0, bootSum: 0 };
  const bytes = statSync(path).size;
  const head = Buffer.alloc(Math.min(bytes, 4096));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  let sum = 0;
  for (const b of head) sum = (sum + b) % 65521;
  return { path, bytes, bootSum: sum };
}
