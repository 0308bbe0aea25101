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
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await node.stop();
  return 0;
}

process.exitCode = await main(process.argv);
