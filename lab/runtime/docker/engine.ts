/** The Docker engine as the lab uses it: one dockerode client, and the labels on everything it makes. */
import Docker from 'dockerode';
import { LabError } from '../errors.ts';

// Ryuk (testcontainers' reaper) cannot be pulled here: the lab removes what it made by label.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const LABEL_LAB = 'blixard-lab.lab';
export const LABEL_RUN = 'blixard-lab.run';
/** pid of the process that will remove the run (tests, scenarios); absent when a state file keeps it. */
export const LABEL_OWNER_PID = 'blixard-lab.owner-pid';
/** The state file that remembers the run (`lab up`). */
export const LABEL_STATE_FILE = 'blixard-lab.state-file';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export async function dockerReachable(): Promise<boolean> {
  try {
    await docker().ping();
    return true;
  } catch {
    return false;
  }
}

export async function requireDocker(): Promise<void> {
  if (!(await dockerReachable())) {
    throw new LabError(
      'engine-missing',
      `no Docker engine answers at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}: run \`make setup\` (installs and starts Debian’s docker.io), or use --runtime process`,
    );
  }
}

export function runLabels(runId: string, owner: { stateFile?: string | undefined }): Record<string, string> {
  return {
    [LABEL_LAB]: '1',
    [LABEL_RUN]: runId,
    ...(owner.stateFile
      ? { [LABEL_STATE_FILE]: owner.stateFile }
      : { [LABEL_OWNER_PID]: String(process.pid) }),
  };
}

export function resourceName(runId: string, part: string): string {
  return `blixard-${runId}-${part}`;
}
