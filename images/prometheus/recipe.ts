// blixard-lab/prometheus: Debian's Prometheus (and the JavaScript libraries its web UI links to),
// unpacked from the .deb files with dpkg -x onto the base image. The configuration is mounted at run
// time over /etc/prometheus/prometheus.yml; a default that scrapes itself is built in.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from '../docker.ts';
import { exec, execOk } from '../exec.ts';
import { hashFile } from '../hash.ts';
import { type BuildContext, onParent, type Prepared, type Recipe } from '../recipe.ts';
import { asset, exists, freshDir } from '../staging.ts';

export const PROMETHEUS_PORT = 9090;

/** prometheus and the packages its classic web UI's symlinks point into. */
const DEBS = [
  'prometheus',
  'fonts-glyphicons-halflings',
  'libjs-bootstrap4',
  'libjs-d3',
  'libjs-eonasdan-bootstrap-datetimepicker',
  'libjs-jquery',
  'libjs-jquery-hotkeys',
  'libjs-moment',
  'libjs-moment-timezone',
  'libjs-mustache',
  'libjs-popper.js',
  'libjs-rickshaw',
];

/**
 * What the image takes from the unpacked packages. A whitelist: the image's /lib, /bin, /sbin are
 * symlinks into /usr (merged /usr), which `COPY root/ /` would replace with the packages' folders.
 */
const KEEP = [
  'etc/prometheus',
  'usr/bin/prometheus',
  'usr/bin/promtool',
  'usr/share/prometheus',
  'usr/share/javascript',
  'usr/share/nodejs',
  'usr/share/fonts',
  'usr/share/fonts-glyphicons',
];
/** 212 MB of time zone data the web UI never loads (it loads moment-timezone-with-data.min.js). */
const DROP = ['usr/share/javascript/moment-timezone/data'];

/** The .deb files, downloaded once with `apt-get download` into the cache. */
async function stageDebs(ctx: BuildContext): Promise<string[]> {
  const dir = join(ctx.cacheDir, 'prometheus-debs');
  if (!(await exists(join(dir, '.complete')))) {
    ctx.progress('stage', `apt-get download ${DEBS.join(' ')}`);
    await freshDir(dir);
    const args = ['-q', '-o', 'APT::Sandbox::User=root', 'download', ...DEBS];
    const first = await exec('apt-get', args, { cwd: dir });
    if (first.code !== 0) {
      // A fresh machine may have no package lists yet.
      await execOk('apt-get', ['update', '-q'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      await freshDir(dir);
      await execOk('apt-get', args, { cwd: dir });
    }
    await writeFile(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  }
  return (await readdir(dir))
    .filter((f) => f.endsWith('.deb'))
    .sort()
    .map((f) => join(dir, f));
}

export function prometheusDockerfile(baseTag: string): string {
  return [
    `FROM ${baseTag}`,
    'COPY root/ /',
    'COPY prometheus.yml /etc/prometheus/prometheus.yml',
    'RUN mkdir -p /prometheus && chown nobody:nogroup /prometheus',
    'USER nobody',
    'VOLUME /prometheus',
    `EXPOSE ${PROMETHEUS_PORT}/tcp`,
    'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/prometheus"]',
    `CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:${PROMETHEUS_PORT}"]`,
    'LABEL blixard-lab.image=prometheus',
    '',
  ].join('\n');
}

export const prometheus: Recipe = onParent('prometheus', 'base', async (ctx, baseTag): Promise<Prepared> => {
  const dockerfile = prometheusDockerfile(baseTag);
  const config = await asset('prometheus/prometheus.yml');
  const debs = await stageDebs(ctx);
  const parts: Record<string, string> = {
    recipe: await hashFile(import.meta.filename),
    dockerfile,
    config,
  };
  for (const deb of debs) parts[`deb:${deb.split('/').pop()}`] = await hashFile(deb);
  return {
    parts,
    async build(tags) {
      const dir = await freshDir(join(ctx.cacheDir, 'context', 'prometheus'));
      ctx.progress('stage', `unpacking ${debs.length} packages`);
      const unpacked = join(dir, 'unpacked');
      const root = join(dir, 'root');
      for (const deb of debs) await execOk('dpkg', ['-x', deb, unpacked]);
      for (const rel of DROP) await rm(join(unpacked, rel), { recursive: true, force: true });
      for (const rel of KEEP) {
        if (!(await exists(join(unpacked, rel)))) continue;
        await mkdir(dirname(join(root, rel)), { recursive: true });
        await rename(join(unpacked, rel), join(root, rel));
      }
      await rm(unpacked, { recursive: true, force: true });
      await writeFile(join(dir, 'prometheus.yml'), config);
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      await build(dir, tags, (line) => ctx.progress('build', line));
      await freshDir(dir);
    },
  };
});
