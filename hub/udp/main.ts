#!/usr/bin/env node
/**
 * Runs the UDP toxic proxy as a process:
 *   node hub/udp/main.ts --listen 127.0.0.1:8475 --seed 42 [--idle-timeout-ms 60000] [--config proxies.json]
 * `--host H --port P` is accepted too (Toxiproxy's own flags, as the hub's entrypoint passes them).
 * Defaults come from UDP_PROXY_ADMIN (host:port) and UDP_PROXY_SEED when the flags are absent.
 * `--config` takes a Toxiproxy-style JSON array of proxies, created at start as POST /populate would.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseHostPort } from './host-port.ts';
import { startUdpToxicProxy } from './udp-toxic-proxy.ts';

const usage =
  'usage: main.ts [--listen HOST:PORT | --host HOST --port PORT] [--seed N] [--idle-timeout-ms MS] [--config FILE]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string', default: process.env.UDP_PROXY_SEED ?? '0' },
      'idle-timeout-ms': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const fromHostPort =
    values.host !== undefined || values.port !== undefined
      ? `${values.host ?? '127.0.0.1'}:${values.port ?? '8475'}`
      : undefined;
  const listenText = values.listen ?? fromHostPort ?? process.env.UDP_PROXY_ADMIN ?? '127.0.0.1:8475';
  const listen = parseHostPort(listenText, '--listen', { allowPortZero: true });
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed: '${values.seed}' is not an integer`);
  const idle = values['idle-timeout-ms'] === undefined ? undefined : Number(values['idle-timeout-ms']);
  if (idle !== undefined && !(idle > 0)) throw new Error(`--idle-timeout-ms: must be a positive number`);

  const proxy = await startUdpToxicProxy({
    host: listen.host,
    port: listen.port,
    seed,
    ...(idle !== undefined && { idleTimeoutMs: idle }),
  });
  if (values.config) {
    const { error } = await proxy.proxies.populate(JSON.parse(await readFile(values.config, 'utf8')));
    if (error) throw new Error(`--config ${values.config}: ${error.message}`);
  }
  console.log(`udp toxic proxy: admin API on ${proxy.url} (seed ${seed})`);
  const stop = () => {
    proxy.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`udp toxic proxy: ${(error as Error).message}\n${usage}`);
  process.exit(2);
});
