/**
 * `rogue-guest`: a VM's guest started by hand inside a second node's container, the same program
 * with the same VM name, while the owner's guest still runs: a double run no correct node would
 * make, for the VM invariants to catch. The copy gets a directory of its own and an empty disk, and
 * its stdin is a pipe that never closes (a guest exits when its node's end of stdin closes); it
 * lives until its container stops. Docker runtime only: in the process runtime every guest is a
 * host process, and the samplers attribute guests by their `--node=` argument alone.
 */
import { z } from 'zod';
import type { Cluster, NodeHandle } from '../../lab/runtime/index.ts';
import { sleep } from '../../node/lib/index.ts';

const nodeId = z.string().regex(/^n\d+$/, 'a node id such as n1');

export const RogueGuestOpSchema = z.strictObject({
  do: z.literal('rogue-guest'),
  /** The VM (default: the first guest found running). */
  vm: z.string().min(1).optional(),
  /** Where the copy starts (default: the node after the owner, in id order). */
  node: nodeId.optional(),
});
export type RogueGuestOp = z.infer<typeof RogueGuestOpSchema>;

/** How long the op waits for a guest to run somewhere (the VM workload boots them as it goes). */
const FIND_WAIT_MS = 20_000;

/** Guest processes of one container, one `/proc/<pid> <argv, space-separated>` a line. */
const LIST_GUESTS = `for f in /proc/[0-9]*/cmdline; do c=$(tr '\\0' ' ' < "$f" 2>/dev/null) && case "$c" in *--name=*--node=*) echo "\${f%/cmdline} $c";; esac; done`;

export interface FoundGuest {
  pid: number;
  argv: string[];
  vm: string;
}

/** Parses LIST_GUESTS output (pure). */
export function parseGuestLines(text: string): FoundGuest[] {
  const out: FoundGuest[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/proc\/(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const argv = (m[2] as string).trim().split(/\s+/);
    const vm = argv.find((a) => a.startsWith('--name='))?.slice('--name='.length);
    if (vm) out.push({ pid: Number(m[1]), argv, vm });
  }
  return out;
}

/** The copy's command line: the same program and VM, another node, its own dir, no disk (pure). */
export function rogueArgv(argv: readonly string[], node: string, dir: string): string[] {
  return argv
    .filter((a) => !a.startsWith('--disk='))
    .map((a) => (a.startsWith('--node=') ? `--node=${node}` : a.startsWith('--dir=') ? `--dir=${dir}` : a));
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function guestsOf(node: NodeHandle): Promise<FoundGuest[]> {
  const r = await node.exec(['sh', '-c', LIST_GUESTS]);
  return r.code === 0 ? parseGuestLines(r.stdout) : [];
}

export async function rogueGuest(
  cluster: Cluster,
  op: RogueGuestOp,
): Promise<{ vm: string; owner: string; node: string; pid: number; ownerPid: number }> {
  if (cluster.runtime !== 'docker') throw new Error('rogue-guest needs the docker runtime');
  const ids = cluster.nodes.map((n) => n.id);
  const deadline = performance.now() + FIND_WAIT_MS;
  for (;;) {
    for (const owner of cluster.nodes) {
      const guest = (await guestsOf(owner)).find((g) => op.vm === undefined || g.vm === op.vm);
      if (!guest) continue;
      const target = op.node ?? (ids[(ids.indexOf(owner.id) + 1) % ids.length] as string);
      if (target === owner.id) throw new Error(`the copy must start on another node than ${owner.id}`);
      const node = cluster.node(target);
      const dir = `/tmp/rogue-${guest.vm}`;
      const argv = rogueArgv(guest.argv, target, dir).map(quote).join(' ');
      const start = await node.exec([
        'sh',
        '-c',
        `mkdir -p ${quote(dir)} && (tail -f /dev/null | ${argv} > ${quote(`${dir}/guest.log`)} 2>&1 &)`,
      ]);
      if (start.code !== 0) throw new Error(`starting the copy on ${target}: ${start.stderr.trim()}`);
      // The copy must be seen running, or the fault did not take.
      const until = performance.now() + 5000;
      for (;;) {
        const copy = (await guestsOf(node)).find(
          (g) => g.vm === guest.vm && g.argv.includes(`--node=${target}`),
        );
        if (copy) return { vm: guest.vm, owner: owner.id, node: target, pid: copy.pid, ownerPid: guest.pid };
        if (performance.now() > until) throw new Error(`the copy of ${guest.vm} on ${target} is not running`);
        await sleep(200);
      }
    }
    if (performance.now() > deadline)
      throw new Error(
        `no guest${op.vm ? ` of ${op.vm}` : ''} ran on any node within ${FIND_WAIT_MS / 1000} s`,
      );
    await sleep(500);
  }
}
