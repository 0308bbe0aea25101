// The images, built for real and run: base, node (iroh binding, non-root), hub, prometheus, and a
// warm ensureImages that builds nothing. Needs Docker: beforeAll runs scripts/setup-docker.sh.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHostRootfs, closure, installedPackages } from './base/index.ts';
import { importRootfs } from './docker.ts';
import { exec } from './exec.ts';
import { ensureImages, IMAGE_NAMES, type ImageName, type ProgressEvent } from './index.ts';
import { docker, dockerOk, SETUP_DOCKER, useDocker } from './test-support.ts';

const res = useDocker();
let tags: Record<ImageName, string>;
const coldEvents: ProgressEvent[] = [];

beforeAll(async () => {
  // Cold on a fresh machine: debootstrap, npm install --omit=dev, go install, docker builds.
  tags = await ensureImages(IMAGE_NAMES, { onProgress: (e) => coldEvents.push(e) });
}, 20 * 60_000);

describe('setup-docker.sh', () => {
  it('is idempotent and quiet when the engine already answers', async () => {
    for (let i = 0; i < 2; i++) {
      const out = await exec(SETUP_DOCKER, []);
      expect(out.code).toBe(0);
      expect(out.stdout + out.stderr).toBe('');
    }
    expect((await docker('info', '--format', '{{.ServerVersion}}')).code).toBe(0);
  });
});

describe('ensureImages', () => {
  it('tags every image by content hash and points :latest at it', async () => {
    for (const name of IMAGE_NAMES) {
      expect(tags[name]).toMatch(new RegExp(`^blixard-lab/${name}:[0-9a-f]{16}$`));
      const [a, b] = await Promise.all([
        dockerOk('image', 'inspect', '--format', '{{.Id}}', tags[name]),
        dockerOk('image', 'inspect', '--format', '{{.Id}}', `blixard-lab/${name}:latest`),
      ]);
      expect(a.trim()).toBe(b.trim());
    }
  });

  it('builds nothing when warm: same tags, no stage or build step', async () => {
    const events: ProgressEvent[] = [];
    const again = await ensureImages(IMAGE_NAMES, { onProgress: (e) => events.push(e) });
    expect(again).toEqual(tags);
    const work = events.filter((e) => e.phase === 'stage' || e.phase === 'build');
    expect(work).toEqual([]);
    expect(events.filter((e) => e.phase === 'cached').map((e) => e.image)).toEqual([...IMAGE_NAMES]);
  }, 120_000);
});

describe('base image', () => {
  it('is Debian bookworm with the network tools', async () => {
    const out = await res.runOnce(
      tags.base,
      'sh',
      '-c',
      'cat /etc/os-release && for t in ip ps ping nc curl tini; do command -v $t; done',
    );
    expect(out).toContain('VERSION_CODENAME=bookworm');
    for (const tool of [
      '/usr/sbin/ip',
      '/usr/bin/ps',
      '/usr/bin/ping',
      '/usr/bin/nc',
      '/usr/bin/curl',
      '/usr/bin/tini',
    ])
      expect(out).toContain(tool);
  }, 60_000);
});

describe('node image', () => {
  it('loads the iroh native binding with Node 24', async () => {
    const script =
      "require('/app/native/iroh/dist/blixard_iroh.node'); console.log('ok', process.versions.node)";
    const out = await res.runOnce('--entrypoint', 'node', tags.node, '-e', script);
    expect(out.trim()).toMatch(/^ok 24\./);
  }, 60_000);

  it('loads the project Iroh binding (native/iroh) and binds an endpoint with it', async () => {
    const script = [
      "const m = require('/app/native/iroh/dist/blixard_iroh.node');",
      "m.Endpoint.bind({ bindAddr: '127.0.0.1:0', alpns: ['blixard/rpc/1'] })",
      "  .then(async (ep) => { console.log('endpoint', ep.id()); await ep.close(); })",
      '  .catch((err) => { console.error(err); process.exit(1); });',
    ].join('\n');
    const out = await res.runOnce('--entrypoint', 'node', tags.node, '-e', script);
    expect(out.trim()).toMatch(/^endpoint [0-9a-z]{40,}$/);
  }, 60_000);

  it('runs as the non-root user blixard, owning its data volume', async () => {
    const script = 'id -un; id -u; stat -c %U /var/lib/blixard; touch /var/lib/blixard/x && echo writable';
    const out = await res.runOnce('--entrypoint', 'sh', tags.node, '-c', script);
    const [user, uid, owner, writable] = out.trim().split('\n');
    expect(user).toBe('blixard');
    expect(Number(uid)).not.toBe(0);
    expect(owner).toBe('blixard');
    expect(writable).toBe('writable');
    const cfg = JSON.parse(await dockerOk('image', 'inspect', '--format', '{{json .Config}}', tags.node));
    expect(Object.keys(cfg.ExposedPorts).sort()).toEqual(['7001/tcp', '7002/udp', '9100/tcp']);
    expect(cfg.Entrypoint).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      '/app/node/main.ts',
      '--config',
      '/etc/blixard/node.toml',
    ]);
    expect(Object.keys(cfg.Volumes)).toEqual(['/var/lib/blixard']);
  }, 60_000);
});

/** Polls a URL from a container on `network` until it answers; returns the body. */
async function curlFrom(network: string, image: string, url: string): Promise<string> {
  const script = `for i in $(seq 1 50); do curl -fsS ${url} && exit 0; sleep 0.2; done; exit 1`;
  return res.runOnce('--network', network, '--entrypoint', 'sh', image, '-c', script);
}

describe('hub image', () => {
  it('serves the Toxiproxy API on 8474 and the UDP proxy API on 8475', async () => {
    const net = await res.network('hubnet');
    const hub = await res.container('hub', ['--network', net, tags.hub]);
    const version = await curlFrom(net, tags.base, `http://${hub}:8474/version`);
    expect(version).toContain('version');
    const proxies = await curlFrom(net, tags.base, `http://${hub}:8474/proxies`);
    expect(JSON.parse(proxies)).toEqual({});
    const udpProxies = await curlFrom(net, tags.base, `http://${hub}:8475/proxies`);
    expect(JSON.parse(udpProxies)).toEqual({});
  }, 60_000);
});

describe('prometheus image', () => {
  it('starts with its built-in config and answers on 9090', async () => {
    const net = await res.network('promnet');
    const prom = await res.container('prom', ['--network', net, tags.prometheus]);
    const ready = await curlFrom(net, tags.base, `http://${prom}:9090/-/ready`);
    expect(ready).toContain('Ready');
    const query = JSON.parse(
      await curlFrom(net, tags.base, `'http://${prom}:9090/api/v1/query?query=1%2B1'`),
    );
    expect(query.status).toBe('success');
    expect(query.data.result[1]).toBe('2');
  }, 60_000);
});

describe('fallback base from the host packages', () => {
  const tag = `blixard-lab-test/base-host:${res.run}`;
  afterAll(async () => {
    await docker('rmi', '-f', tag);
  }, 60_000);

  it('makes a root filesystem that runs bash, curl and a non-root user', async () => {
    const rootfs = await mkdtemp(join(tmpdir(), 'base-host-'));
    try {
      const pkgs = closure(await installedPackages(), ['bash', 'curl', 'passwd', 'libstdc++6']);
      expect(pkgs).toContain('libc6');
      await buildHostRootfs(rootfs, pkgs, () => {});
      await importRootfs(rootfs, tag, ['CMD ["/bin/bash"]']);
    } finally {
      await rm(rootfs, { recursive: true, force: true });
    }
    const out = await res.runOnce(
      tag,
      'bash',
      '-c',
      'grep VERSION_CODENAME /etc/os-release; curl --version | head -c 4; echo; useradd -u 4242 probe && setpriv --reuid=probe --regid=probe --clear-groups id -u',
    );
    expect(out.trim().split('\n')).toEqual(['VERSION_CODENAME=bookworm', 'curl', '4242']);
  }, 120_000);
});
