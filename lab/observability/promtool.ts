/** promtool (from the prometheus image) run on the host's files: `check config` and `check rules`. */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';

export interface PromtoolResult {
  code: number;
  output: string;
}

/**
 * Runs `promtool <args>` in a throwaway container of `image`. Each `mounts` entry makes a host file
 * appear at the given path inside; args name files by those inside paths.
 */
export function promtool(
  image: string,
  args: readonly string[],
  mounts: readonly { source: string; target: string }[] = [],
): Promise<PromtoolResult> {
  const argv = [
    'run',
    '--rm',
    '--network',
    'none',
    '--label',
    'blixard-lab.promtool=1',
    '--entrypoint',
    '/usr/bin/promtool',
    ...mounts.flatMap((m) => ['-v', `${m.source}:${m.target}:ro`]),
    image,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile('docker', argv, { maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (err && code === -1) {
        reject(err);
        return;
      }
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** `promtool check rules` on one rules file of the host. */
export function checkRules(image: string, file: string): Promise<PromtoolResult> {
  const inside = `/check/${basename(file)}`;
  return promtool(image, ['check', 'rules', inside], [{ source: file, target: inside }]);
}

/**
 * `promtool check config` on a rendered prometheus.yml, with the files it names mounted where it
 * names them (rules files are checked too).
 */
export function checkConfig(
  image: string,
  configFile: string,
  files: readonly { source: string; target: string }[] = [],
): Promise<PromtoolResult> {
  const inside = `/check/${basename(configFile)}`;
  return promtool(image, ['check', 'config', inside], [{ source: configFile, target: inside }, ...files]);
}
