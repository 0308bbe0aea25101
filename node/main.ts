#!/usr/bin/env node
/**
 * blixard-node --config node.toml
 *
 * Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a bad config
 * or bad flags, 1 for any other failure to start.
 */
import { Command, CommanderError } from 'commander';
import { BlixardNode, NODE_VERSION } from './blixard-node.ts';
import { ConfigError, loadNodeConfig } from './config/index.ts';

const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const program = new Command('blixard-node')
    .description('The reference Blixard node')
    .requiredOption('-c, --config <file>', 'node config (TOML)')
    .version(NODE_VERSION)
    .exitOverride();
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    throw err;
  }
  const { config: file } = program.opts<{ config: string }>();
  let node: BlixardNode;
  try {
    node = new BlixardNode(await loadNodeConfig(file));
    await node.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`blixard-node: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(
      `blixard-node: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  // SIGHUP: re-read the config; `[transport.migration]` changes apply in place (refusals are logged).
  process.on('SIGHUP', () => void node.reloadConfig(file));
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await node.stop();
  exitSoonAfterStop();
  return 0;
}

/** How long a stopped node waits for its event loop to drain before it exits anyway. */
const EXIT_GRACE_MS = 1000;

/**
 * Everything the node opened is closed by now, but a native handle can outlive it (seen in
 * containers: a stopped node that stayed up until its supervisor killed it, which made every
 * graceful restart wait out `docker stop`'s timeout). Exit after a short grace, naming what was
 * still open.
 */
function exitSoonAfterStop(): void {
  setTimeout(() => {
    // This timer itself is one of the Timeouts listed; stdout and stderr are the pipes. A native
    // handle of the Iroh binding holds the loop without being listed at all.
    const open = process.getActiveResourcesInfo();
    const own = open.indexOf('Timeout');
    if (own >= 0) open.splice(own, 1);
    process.stderr.write(
      `blixard-node: stopped; exiting with still open: ${open.join(', ') || 'nothing listed'} (native handles are not listed)\n`,
    );
    process.exit(process.exitCode ?? 0);
  }, EXIT_GRACE_MS).unref();
}

process.exitCode = await main(process.argv);
