// blixard-lab/blixard-rs:<hash>: the real Blixard (a host-built `blixard` binary, by commit) on the
// base image, with iptables from the host's packages for the address translation that makes its
// peers' own addresses lead to the hub's links (lab/runtime/blixard). Not one of IMAGE_NAMES: there is
// one image per Blixard commit, and a run names the binary it wants.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { placePackageFiles } from '../base/index.ts';
import { build, imageId } from '../docker.ts';
import { ensureImages } from '../ensure.ts';
import { execOk } from '../exec.ts';
import { combine, hashFile } from '../hash.ts';
import { REPOSITORY } from '../recipe.ts';
import { freshDir, placeFile } from '../staging.ts';

/** iptables (nf_tables) and the libraries it loads that the base image lacks. */
const IPTABLES_PACKAGES = [
  'iptables',
  'libip4tc2',
  'libip6tc2',
  'libxtables12',
  'libnftnl11',
  'libmnl0',
  'libnetfilter-conntrack3',
  'libnfnetlink0',
];
export const BLIXARD_IMAGE = `${REPOSITORY}/blixard-rs`;

export function blixardDockerfile(baseTag: string): string {
  return [
    `FROM ${baseTag}`,
    'COPY rootfs/ /',
    'COPY blixard /usr/local/bin/blixard',
    'COPY entrypoint.sh /usr/local/bin/blixard-entrypoint',
    'RUN ldconfig && chmod 0755 /usr/local/bin/blixard /usr/local/bin/blixard-entrypoint && mkdir -p /var/lib/blixard /lab',
    'VOLUME /var/lib/blixard',
    'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/blixard-entrypoint"]',
    'LABEL blixard-lab.image=blixard-rs',
    '',
  ].join('\n');
}

export interface BlixardImageOptions {
  /** The `blixard` binary (scripts/setup-blixard.sh prints its path). */
  binary: string;
  /** The Blixard commit it was built from (a label on the image). */
  commit: string;
  onProgress?: (message: string) => void;
  root?: string;
}

/** Ensures the image for this binary exists; returns its content-hash tag. */
export async function ensureBlixardImage(opts: BlixardImageOptions): Promise<string> {
  const progress = opts.onProgress ?? (() => {});
  const root = opts.root ?? resolve(import.meta.dirname, '..', '..');
  const { base } = await ensureImages(['base'], { root });
  const dockerfile = blixardDockerfile(base);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const versions = await execOk('dpkg-query', ['-W', '-f=${Package}=${Version}\\n', ...IPTABLES_PACKAGES]);
  const tag = `${BLIXARD_IMAGE}:${combine({
    recipe: await hashFile(import.meta.filename),
    entrypoint: await hashFile(join(import.meta.dirname, 'entrypoint.sh')),
    dockerfile,
    binary: await hashFile(opts.binary),
    iptables: versions,
  })}`;
  if ((await imageId(tag)) !== undefined) return tag;
  progress(`image ${tag}: building (Blixard ${opts.commit})`);
  const dir = await freshDir(join(root, '.tools', 'cache', 'images', 'context', `blixard-rs-${process.pid}`));
  try {
    await mkdir(join(dir, 'rootfs'));
    await placePackageFiles(join(dir, 'rootfs'), IPTABLES_PACKAGES);
    await placeFile(opts.binary, join(dir, 'blixard'));
    await placeFile(join(import.meta.dirname, 'entrypoint.sh'), join(dir, 'entrypoint.sh'));
    await writeFile(join(dir, 'Dockerfile'), `${dockerfile}LABEL blixard-lab.commit=${opts.commit}\n`);
    await build(dir, [tag], (line) => progress(`image blixard-rs: ${line}`));
  } finally {
    await freshDir(dir);
  }
  return tag;
}
