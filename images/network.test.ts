// The lab's topology works on this Docker engine: containers on one user-defined bridge network
// reach each other by name, a container on another network cannot reach them, and a hub joined
// to both networks reaches both sides.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureImages } from './index.ts';
import { docker, dockerOk, useDocker } from './test-support.ts';

const res = useDocker();
let base: string;
let netA: string;
let netB: string;
let a1: string;
let b1: string;

/** Runs a shell snippet in a throwaway container on `network`; resolves with its exit code. */
async function probe(network: string, script: string): Promise<number> {
  const out = await docker('run', '--rm', ...res.labels(), '--network', network, base, 'sh', '-c', script);
  return out.code;
}

function ipOn(container: string, network: string): Promise<string> {
  return dockerOk(
    'inspect',
    '--format',
    `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
    container,
  ).then((s) => s.trim());
}

// Each listener answers one line to every TCP connection, on port 7001.
const listen = ['sh', '-c', 'while true; do echo pong | nc -l -p 7001 -q 0 >/dev/null 2>&1; done'];

beforeAll(async () => {
  ({ base } = await ensureImages(['base']));
  netA = await res.network('a');
  netB = await res.network('b');
  a1 = await res.container('a1', ['--network', netA, base, ...listen]);
  b1 = await res.container('b1', ['--network', netB, base, ...listen]);
}, 20 * 60_000);

describe('user-defined bridge networks', () => {
  it('connect two containers on the same network by name (ICMP and TCP)', async () => {
    expect(await probe(netA, `ping -c 1 -W 2 ${a1}`)).toBe(0);
    expect(
      await probe(
        netA,
        `for i in $(seq 1 25); do nc -w 2 ${a1} 7001 | grep -q pong && exit 0; sleep 0.2; done; exit 1`,
      ),
    ).toBe(0);
  }, 60_000);

  it('keep a container on another network out, by name and by address', async () => {
    const addr = await ipOn(a1, netA);
    expect(addr).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await probe(netB, `getent hosts ${a1}`)).not.toBe(0);
    expect(await probe(netB, `nc -z -w 2 ${addr} 7001`)).not.toBe(0);
    expect(await probe(netB, `ping -c 1 -W 2 ${addr}`)).not.toBe(0);
  }, 60_000);

  it('let a hub joined to both networks reach both sides', async () => {
    const hub = await res.container('hub', ['--network', netA, base, 'sleep', 'infinity']);
    await dockerOk('network', 'connect', netB, hub);
    for (const target of [a1, b1]) {
      const out = await docker('exec', hub, 'sh', '-c', `nc -w 2 ${target} 7001`);
      expect(out.stdout.trim()).toBe('pong');
    }
  }, 60_000);
});
