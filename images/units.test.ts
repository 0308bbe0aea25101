// Unit tests of the image builder's pure parts: input hashing, build order, mirror detection.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorFromSources } from './base/index.ts';
import { buildOrder } from './ensure.ts';
import { combine, hashTree } from './hash.ts';
import { nodeDockerfile } from './node/index.ts';
import { runtimeFiles } from './staging.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('input hashes', () => {
  it('change with a runtime file, not with a test file, and not with key order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'images-hash-'));
    dirs.push(dir);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'main.ts'), 'console.log(1);\n');
    await writeFile(join(dir, 'sub', 'a.ts'), 'export const a = 1;\n');
    const h1 = await hashTree(dir, runtimeFiles);
    await writeFile(join(dir, 'sub', 'a.test.ts'), 'test\n');
    expect(await hashTree(dir, runtimeFiles)).toBe(h1);
    await writeFile(join(dir, 'sub', 'a.ts'), 'export const a = 2;\n');
    expect(await hashTree(dir, runtimeFiles)).not.toBe(h1);
    expect(await hashTree(join(dir, 'missing'))).toBe('absent');
    expect(combine({ a: '1', b: '2' })).toBe(combine({ b: '2', a: '1' }));
    expect(combine({ a: '1', b: '2' })).not.toBe(combine({ a: '1', b: '3' }));
  });
});

describe('build order', () => {
  it('puts what an image is built on first, once', () => {
    expect(buildOrder(['hub', 'node'])).toEqual(['base', 'runtime', 'hub', 'node']);
    expect(buildOrder(['prometheus'])).toEqual(['base', 'prometheus']);
  });
});

describe('node Dockerfile', () => {
  it('runs the node as blixard with the contract ports and config path', () => {
    const df = nodeDockerfile('blixard-lab/runtime:abc');
    expect(df).toMatch(/^FROM blixard-lab\/runtime:abc$/m);
    expect(df).toMatch(/^USER blixard$/m);
    expect(df).toContain('EXPOSE 7001/tcp 7002/udp 9100/tcp');
    expect(df).toContain('VOLUME /var/lib/blixard');
    expect(df).toContain('"node", "/app/node/main.ts", "--config", "/etc/blixard/node.toml"');
  });
});

describe('Debian mirror of the host', () => {
  it('reads deb822 and one-line sources, matching the suite exactly', () => {
    const files = [
      { path: '/etc/apt/sources.list', text: '# nothing\n' },
      {
        path: '/etc/apt/sources.list.d/cloud.list',
        text: 'deb https://example.invalid/apt cloud-sdk-bookworm main\n',
      },
      {
        path: '/etc/apt/sources.list.d/debian.sources',
        text: [
          'Types: deb',
          'URIs: http://mirror.invalid/debian-security',
          'Suites: bookworm-security',
          '',
          'Types: deb',
          'URIs: http://mirror.invalid/debian',
          'Suites: bookworm bookworm-updates',
          'Components: main',
        ].join('\n'),
      },
    ];
    expect(mirrorFromSources(files, 'bookworm')).toBe('http://mirror.invalid/debian');
    expect(
      mirrorFromSources(
        [{ path: '/etc/apt/sources.list', text: 'deb [arch=amd64] http://m.invalid/d bookworm main' }],
        'bookworm',
      ),
    ).toBe('http://m.invalid/d');
    expect(mirrorFromSources(files, 'trixie')).toBeUndefined();
  });
});
