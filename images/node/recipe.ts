// blixard-lab/node: the reference Blixard node (node/, proto/) and its Iroh binding on the runtime image,
// run as user blixard.
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../docker.ts';
import { hashFile, hashTree } from '../hash.ts';
import { onParent, type Prepared, type Recipe } from '../recipe.ts';
import { USER } from '../runtime/index.ts';
import { copyTree, freshDir, placeFile, runtimeFiles } from '../staging.ts';

/** Project folders the node runs from. */
const SOURCES = ['node', 'proto'];
/** The Iroh binding `make setup` builds (scripts/setup-native.sh), at the same path under /app. */
export const NATIVE_ADDON = join('native', 'iroh', 'dist', 'blixard_iroh.node');

export function nodeDockerfile(runtimeTag: string): string {
  return [
    `FROM ${runtimeTag}`,
    'COPY app/ /app/',
    `USER ${USER}`,
    'VOLUME /var/lib/blixard',
    'EXPOSE 7001/tcp 7002/udp 9100/tcp',
    'ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/node/main.ts", "--config", "/etc/blixard/node.toml"]',
    'LABEL blixard-lab.image=node',
    '',
  ].join('\n');
}

export const node: Recipe = onParent('node', 'runtime', async (ctx, runtimeTag): Promise<Prepared> => {
  const dockerfile = nodeDockerfile(runtimeTag);
  const parts: Record<string, string> = {
    recipe: await hashFile(import.meta.filename),
    dockerfile,
  };
  for (const src of SOURCES) parts[`tree:${src}`] = await hashTree(join(ctx.root, src), runtimeFiles);
  const addon = join(ctx.root, NATIVE_ADDON);
  await access(addon).catch(() => {
    throw new Error(`node image: the Iroh binding is not built (${NATIVE_ADDON}): run make setup`);
  });
  parts.native = await hashFile(addon);
  return {
    parts,
    async build(tags) {
      const dir = await freshDir(join(ctx.cacheDir, 'context', 'node'));
      ctx.progress('stage', 'build context: node/, proto/, the Iroh binding');
      for (const src of SOURCES) await copyTree(join(ctx.root, src), join(dir, 'app', src), runtimeFiles);
      await placeFile(addon, join(dir, 'app', NATIVE_ADDON));
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      await build(dir, tags, (line) => ctx.progress('build', line));
      await freshDir(dir);
    },
  };
});
