// blixard-lab/runtime: the layers the node and hub images share, on the base image: Node 24, the
// `blixard` user and the project's production node_modules. It changes only with the Node binary or
// the lock, so a change to node/ or chaos/ rebuilds the node or hub image from a small context.
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../docker.ts';
import { execOk } from '../exec.ts';
import { hashFile } from '../hash.ts';
import { onParent, type Prepared, type Recipe } from '../recipe.ts';
import { freshDir, modulesHash, nodeBinary, placeFile, productionModules } from '../staging.ts';

export const USER = 'blixard';
export const UID = 10001;

export function runtimeDockerfile(baseTag: string): string {
  return [
    `FROM ${baseTag}`,
    'COPY node /usr/local/bin/node',
    `RUN groupadd --gid ${UID} ${USER} \\`,
    `  && useradd --uid ${UID} --gid ${USER} --no-create-home --home-dir /var/lib/blixard --shell /usr/sbin/nologin ${USER} \\`,
    `  && mkdir -p /var/lib/blixard /etc/blixard /app && chown ${USER}:${USER} /var/lib/blixard`,
    'COPY app/ /app/',
    'ENV NODE_ENV=production',
    'WORKDIR /app',
    'LABEL blixard-lab.image=runtime',
    '',
  ].join('\n');
}

export const runtime: Recipe = onParent('runtime', 'base', async (ctx, baseTag): Promise<Prepared> => {
  const dockerfile = runtimeDockerfile(baseTag);
  const node = await nodeBinary(ctx.root);
  return {
    parts: {
      recipe: await hashFile(import.meta.filename),
      dockerfile,
      node: await hashFile(node),
      modules: await modulesHash(ctx.root),
    },
    async build(tags) {
      const dir = await freshDir(join(ctx.cacheDir, 'context', 'runtime'));
      ctx.progress('stage', 'build context: node binary, production node_modules');
      await placeFile(node, join(dir, 'node'));
      const modules = await productionModules(ctx);
      const app = join(dir, 'app');
      for (const f of ['package.json', 'package-lock.json']) await placeFile(join(modules, f), join(app, f));
      // Hard links: the context costs no copy of the ~90 MB tree (a copy across filesystems).
      try {
        await execOk('cp', ['-al', join(modules, 'node_modules'), join(app, 'node_modules')]);
      } catch {
        await cp(join(modules, 'node_modules'), join(app, 'node_modules'), {
          recursive: true,
          verbatimSymlinks: true,
        });
      }
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      await build(dir, tags, (line) => ctx.progress('build', line));
      await freshDir(dir);
    },
  };
});
