// blixard-lab/hub: the chaos hub on the base image: Toxiproxy server (TCP) and the project's UDP
// toxic proxy (hub/, run by Node 24), started together by entrypoint.sh.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../docker.ts';
import { hashFile, hashTree } from '../hash.ts';
import { onParent, type Prepared, type Recipe } from '../recipe.ts';
import { USER } from '../runtime/index.ts';
import {
  asset,
  copyTree,
  freshDir,
  placeFile,
  runtimeFiles,
  TOXIPROXY_VERSION,
  toxiproxyServer,
} from '../staging.ts';

/** Project folders the hub runs from: the UDP proxy and the plumbing it shares with the node. */
const SOURCES = ['hub', 'node/lib'];

export const TOXIPROXY_API_PORT = 8474;
export const UDP_PROXY_API_PORT = 8475;

export function hubDockerfile(runtimeTag: string): string {
  return [
    `FROM ${runtimeTag}`,
    'COPY toxiproxy-server /usr/local/bin/toxiproxy-server',
    'COPY app/ /app/',
    'COPY entrypoint.sh /usr/local/bin/hub-entrypoint',
    `USER ${USER}`,
    `EXPOSE ${TOXIPROXY_API_PORT}/tcp ${UDP_PROXY_API_PORT}/tcp`,
    'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/hub-entrypoint"]',
    `LABEL blixard-lab.image=hub blixard-lab.toxiproxy=${TOXIPROXY_VERSION}`,
    '',
  ].join('\n');
}

export const hub: Recipe = onParent('hub', 'runtime', async (ctx, runtimeTag): Promise<Prepared> => {
  const dockerfile = hubDockerfile(runtimeTag);
  const toxiproxy = await toxiproxyServer(ctx);
  const entrypoint = await asset('hub/entrypoint.sh');
  const parts: Record<string, string> = {
    recipe: await hashFile(import.meta.filename),
    dockerfile,
    entrypoint,
    toxiproxy: await hashFile(toxiproxy),
    ...Object.fromEntries(
      await Promise.all(
        SOURCES.map(async (src) => [`tree:${src}`, await hashTree(join(ctx.root, src), runtimeFiles)]),
      ),
    ),
  };
  return {
    parts,
    async build(tags) {
      const dir = await freshDir(join(ctx.cacheDir, 'context', 'hub'));
      ctx.progress('stage', `build context: toxiproxy-server, ${SOURCES.join(', ')}, entrypoint`);
      await placeFile(toxiproxy, join(dir, 'toxiproxy-server'));
      for (const src of SOURCES) await copyTree(join(ctx.root, src), join(dir, 'app', src), runtimeFiles);
      await writeFile(join(dir, 'entrypoint.sh'), entrypoint, { mode: 0o755 });
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      await build(dir, tags, (line) => ctx.progress('build', line));
      await freshDir(dir);
    },
  };
});
