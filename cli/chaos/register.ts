/** Registers `lab chaos ...` and `lab replay ...` on the lab CLI's commander program. */
import type { Command } from 'commander';
import { NODE_OPS, PARTITION_KINDS } from '../../chaos/nemesis/index.ts';
import {
  type ChaosIo,
  chaosCommand,
  chaosRun,
  chaosSelfCheck,
  type FaultFlags,
  replay,
  verdictCommand,
} from './commands.ts';
import { migrateCommand } from './migrate.ts';

type Run = (fn: () => Promise<number>) => () => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerChaosCommands(program: Command, io: ChaosIo, run: Run): void {
  const chaos = program
    .command('chaos')
    .description('faults on the running lab, on both transports (or one), recorded in its events.jsonl');
  const linkOptions = (c: Command) =>
    c
      .option('--link <name>', 'a link such as n1-n2 or client-n3 (repeat for more)', collect)
      .option('--links <set>', 'all | peers | client (default all)')
      .option('--transport <t>', 'both | tcp | udp (default both)');
  chaos
    .command('partition <kind>')
    .description(`cut links: ${PARTITION_KINDS.join(' | ')}`)
    .option('--node <node>', 'isolate/client: the node cut off (or leader)')
    .option('--transport <t>', 'both | tcp | udp (default both)')
    .action((kind: string, flags: FaultFlags) => run(() => chaosCommand('partition', kind, flags, io))());
  linkOptions(chaos.command('latency <ms>').description('added delay on replies (RTT grows by ms)'))
    .option('--jitter <ms>', 'random ± jitter')
    .action((ms: string, flags: FaultFlags) => run(() => chaosCommand('latency', ms, flags, io))());
  linkOptions(chaos.command('loss <probability>').description('datagram loss both ways (UDP only)')).action(
    (p: string, flags: FaultFlags) =>
      run(() => chaosCommand('loss', p, { ...flags, transport: flags.transport ?? 'udp' }, io))(),
  );
  linkOptions(chaos.command('bandwidth <kbps>').description('rate limit in KB/s')).action(
    (rate: string, flags: FaultFlags) => run(() => chaosCommand('bandwidth', rate, flags, io))(),
  );
  chaos
    .command('heal')
    .description('every link enabled and without toxics, on both transports')
    .action(() => run(() => chaosCommand('heal', undefined, {}, io))());
  const nodeHelp: Record<(typeof NODE_OPS)[number], string> = {
    kill: 'SIGKILL a node (kill -9)',
    stop: 'stop a node gracefully',
    start: 'start a stopped or killed node',
    pause: 'pause a node (SIGSTOP / docker pause)',
    resume: 'resume a paused node',
    restart: 'graceful restart with the same config and data',
  };
  for (const verb of NODE_OPS) {
    chaos
      .command(`${verb} <node>`)
      .description(`${nodeHelp[verb]}; NODE is an id or leader`)
      .action((node: string) => run(() => chaosCommand(verb, node, {}, io))());
  }
  chaos
    .command('transfer [to]')
    .description('hand leadership to a voter (TransferLeadership); TO is an id or follower (default)')
    .action((to: string | undefined) => run(() => chaosCommand('transfer', to, {}, io))());
  chaos
    .command('leave <node>')
    .description('remove a node from the cluster (LeaveCluster, through the leader); NODE is an id or a role')
    .action((node: string) => run(() => chaosCommand('leave', node, {}, io))());
  chaos
    .command('join <node>')
    .description('add a node back (JoinCluster with its addresses); done once it is a voter again')
    .action((node: string) => run(() => chaosCommand('join', node, {}, io))());
  chaos
    .command('mode <mode>')
    .description('rolling transport-mode change: node by node, new config, restart, wait healthy')
    .option('--nodes <list>', 'order, e.g. n3,n2,n1 (default all in id order)')
    .action((mode: string, flags: FaultFlags) => run(() => chaosCommand('mode', mode, flags, io))());
  chaos
    .command('self-check')
    .description('prove on the wire that a cut stops each link and a delay shows in its RTT')
    .option('--link <name>', 'only this link (repeat for more)', collect)
    .action((flags: { link?: string[] }) => run(() => chaosSelfCheck(flags, io))());
  chaos
    .command('run <file>')
    .description('an incident file (schedule + workload) against the running lab, recorded under runs/')
    .option('--seed <n>', "seed for a generated schedule and the workload (default: the file's)")
    .option('--blixard-ref <commit>', "sut blixard-rs: run this Blixard commit instead of the file's")
    .action((file: string, flags: { seed?: string; blixardRef?: string }) =>
      run(() => chaosRun(file, flags, io))(),
    );
  program
    .command('verdict <run>')
    .description("a recorded run's verdict: every checker, its explanation, counterexamples in readable form")
    .action((target: string) => run(() => verdictCommand(target, io))());
  program
    .command('migrate <rollout>')
    .description('apply a rollout file step by step to the running lab; a breached gate rolls its step back')
    .action((file: string) => run(() => migrateCommand(file, io))());
  program
    .command('replay <target>')
    .description('repeat a recorded run (runs/<id>) or an incident file on a new cluster, from its seed')
    .option('--seed <n>', 'another seed')
    .action((target: string, flags: { seed?: string }) => run(() => replay(target, flags, io))());
}
