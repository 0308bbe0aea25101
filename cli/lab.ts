#!/usr/bin/env node
/**
 * lab up [--nodes N] [--runtime docker|process] [--mode grpc|dual|iroh] [--config FILE]
 * lab status [--json] · lab logs [NODE] [-f] · lab down · lab exec NODE -- CMD...
 * lab chaos partition|latency|loss|heal|kill|pause|resume|restart|mode|self-check|run ... · lab replay RUN
 * lab migrate ROLLOUT.yaml   (steps, watch windows and gates; a breached step is rolled back)
 * lab call NODE Service/Method [JSON] [--transport grpc|iroh] [--deadline 2s] · lab call --list
 * lab report [RUN...] [--json]   (runs/<id>/report.html and runs/index.html)
 * lab load [NODE] --rate 100 --duration 10s [--transport both] [--mix ...] [--slo 'p99<50ms,errors<1%'] [--json]
 * lab evaluate raft [--quick] [--budget 30m] [--json]   (network profiles × Raft over grpc, iroh, adaptive)
 * lab nightly [--budget 60m] [--seeds 3] [--incidents DIR|FILE]... [--only NAME]... [--out DIR] [--json]
 *
 * Exit status: 0 done, 1 failed (the message says why), 2 bad flags or config (nothing started).
 * The running lab is remembered in .lab/state.json (LAB_STATE_FILE overrides).
 */
import { Command, CommanderError } from 'commander';
import { LabError } from '../lab/runtime/index.ts';
import { callCommand } from './call/index.ts';
import { registerChaosCommands } from './chaos/index.ts';
import { evaluateCommand } from './evaluate/index.ts';
import { DEFAULT_STATE, down, EXIT_FAIL, EXIT_USAGE, exec, type Io, logs, status, up } from './lab/index.ts';
import { loadCommand } from './load/index.ts';
import { nightlyCommand } from './nightly/index.ts';
import { reportCommand } from './report/index.ts';

const io: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stateFile: process.env.LAB_STATE_FILE ?? DEFAULT_STATE,
};

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const run = (fn: () => Promise<number>) => async () => {
    code = await fn();
  };
  const program = new Command('lab')
    .description('Blixard lab: multi-node clusters with every link through the chaos hub')
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError();
  program
    .command('up')
    .description('build what is needed and start a cluster that keeps running after this command')
    .option('-n, --nodes <n>', 'number of nodes (default 3)')
    .option('-r, --runtime <runtime>', 'docker | process (default docker)')
    .option('-m, --mode <mode>', 'transport mode: grpc | dual | iroh (default dual; iroh for blixard-rs)')
    .option('--sut <sut>', 'system under test: reference | blixard-rs (default reference)')
    .option('--blixard-ref <commit>', 'blixard-rs: the commit of the bundle to build and run')
    .option('--blixard-src <dir>', 'blixard-rs: a Blixard checkout to build at its HEAD')
    .option(
      '--blixard-members <how>',
      "blixard-rs: joined (each node joins, as Blixard's scripts do; default) | confirmed (then the leader adds every member again)",
    )
    .option('-c, --config <file>', 'lab config (TOML); flags win over it')
    .option('--seed <n>', "seed of the hub's toxics")
    .option('--base-port <port>', 'process runtime: first port of the block it uses')
    .option('--health-timeout <seconds>', 'how long nodes may take to become healthy (default 60)')
    .action((opts) => run(() => up(opts, io))());
  program
    .command('status')
    .description('node, role, term, commit, mode, health and addresses of the running lab')
    .option('--json', 'machine-readable output')
    .action((opts) => run(() => status(opts, io))());
  program
    .command('logs [node]')
    .description("a node's output (all nodes when none is named)")
    .option('-f, --follow', 'keep printing new output until Ctrl-C')
    .option('--tail <n>', 'only the last n lines of each node')
    .action((node, opts) => run(() => logs(node, opts, io))());
  program
    .command('down')
    .description('stop the lab and remove everything it made')
    .action(() => run(() => down(io))());
  program
    .command('exec <node> [command...]')
    .description('run a command in a node (its container, or its data dir for the process runtime)')
    .passThroughOptions()
    .action((node, command) => run(() => exec(node, command, io))());
  program
    .command('call [node] [method] [json]')
    .description('any RPC to a node of the running lab, JSON in and out (method: <Service>/<Method>)')
    .option('-t, --transport <t>', 'grpc | iroh (default: the first the node serves)')
    .option('-d, --deadline <duration>', 'e.g. 2s, 500ms (default 10s)')
    .option('--list', 'list the services and methods')
    .action((node, method, json, opts) => run(() => callCommand(node, method, json, opts, io))());
  program
    .command('load [node]')
    .description('open-model load (constant arrival rate) over either or both transports, SLOs fail the run')
    .option('-r, --rate <n>', 'requests per second per transport (default 100)')
    .option('-d, --duration <duration>', 'e.g. 10s, 1m (default 10s, at most 10m)')
    .option('-t, --transport <t>', 'grpc | iroh | both (default both)')
    .option(
      '--mix <mix>',
      "RPCs and weights, e.g. 'ClusterService/HealthCheck=3,ClusterService/GetClusterStatus=1'",
    )
    .option('--slo <thresholds>', "e.g. 'p99<50ms,errors<1%': a broken one exits 1")
    .option('--deadline <duration>', 'per request (default 5s)')
    .option('--seed <n>', "the mix's draws (default 1)")
    .option('--json', 'machine-readable output')
    .action((node, opts) => run(() => loadCommand(node, opts, io))());
  program
    .command('evaluate <what>')
    .description(
      'raft: network profiles × Raft over grpc, iroh and adaptive on docker; latency, commits/s, elections, recovery, the decision per cell',
    )
    .option('--quick', 'a short profile (8 s of load per cell)')
    .option(
      '--budget <duration>',
      'total time, e.g. 30m (default 30m quick, 120m full); cells past it are not run',
    )
    .option('--json', 'machine-readable output')
    .action((what, opts) => run(() => evaluateCommand(what, opts, io))());
  program
    .command('report [runs...]')
    .description(
      "a run's HTML report made again (runs/<id>/report.html), and runs/index.html; every run when none is named",
    )
    .option('--json', 'machine-readable output')
    .action((runs, opts) => run(() => reportCommand(runs, opts, io))());
  program
    .command('nightly')
    .description(
      'the chaos matrix: every incident × seeds on docker within a budget; JUnit XML, summary, replays',
    )
    .option('--budget <duration>', 'total time, e.g. 60m (default $NIGHTLY_BUDGET or 60m)')
    .option('--seeds <n>', 'seeds per incident (default 3)')
    .option('--only <incident>', 'only this incident (repeat for more)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option(
      '--incidents <path>',
      'an incident file or a directory of them (repeat for more; default scenarios/incidents)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--out <dir>', 'where to write (default runs/nightly-<date>)')
    .option('--runtime <runtime>', 'docker (default) | process')
    .option('--json', 'machine-readable output')
    .action((opts) => run(() => nightlyCommand(opts, io))());
  registerChaosCommands(program, io, run);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? 0
        : EXIT_USAGE;
    }
    if (err instanceof LabError) {
      io.err(`lab: ${err.message}\n`);
      return err.kind === 'usage' ? EXIT_USAGE : EXIT_FAIL;
    }
    io.err(`lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAIL;
  }
  return code;
}

process.exitCode = await main(process.argv);
