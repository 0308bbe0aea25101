// Helpers for the tests that need a Docker engine: start it (scripts/setup-docker.sh), run docker
// commands, and label everything a test file creates so its afterAll removes exactly that.
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ExecResult, exec, execOk } from './exec.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const SETUP_DOCKER = join(ROOT, 'scripts', 'setup-docker.sh');

/** Makes the Docker engine answer (installs and starts it where needed). */
export async function setupDocker(): Promise<ExecResult> {
  const res = await exec(SETUP_DOCKER, []);
  if (res.code !== 0) throw new Error(`setup-docker.sh failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return res;
}

export function docker(...args: string[]): Promise<ExecResult> {
  return exec('docker', args);
}

export function dockerOk(...args: string[]): Promise<string> {
  return execOk('docker', args);
}

/** The labels of one test file's resources: the common test label and a run id. */
export class TestResources {
  readonly run = randomUUID().slice(0, 8);

  labels(): string[] {
    return ['--label', 'blixard-lab.test=1', '--label', `blixard-lab.test.run=${this.run}`];
  }

  name(what: string): string {
    return `blixard-lab-test-${this.run}-${what}`;
  }

  async network(what: string): Promise<string> {
    const name = this.name(what);
    await dockerOk('network', 'create', ...this.labels(), name);
    return name;
  }

  /** Runs a container to its end and removes it: `args` are what follows `docker run --rm`; returns its output. */
  runOnce(...args: string[]): Promise<string> {
    return dockerOk('run', '--rm', ...this.labels(), ...args);
  }

  /** Starts a detached container; returns its name. */
  async container(what: string, args: readonly string[]): Promise<string> {
    const name = this.name(what);
    await dockerOk('run', '-d', ...this.labels(), '--name', name, ...args);
    return name;
  }

  /** Removes this run's containers, then its networks. */
  async cleanup(): Promise<void> {
    const filter = `label=blixard-lab.test.run=${this.run}`;
    const containers = (await docker('ps', '-aq', '--filter', filter)).stdout.split('\n').filter(Boolean);
    if (containers.length > 0) await docker('rm', '-f', '-v', ...containers);
    const networks = (await docker('network', 'ls', '-q', '--filter', filter)).stdout
      .split('\n')
      .filter(Boolean);
    if (networks.length > 0) await docker('network', 'rm', ...networks);
  }
}

/**
 * A test file's Docker resources: the engine made to answer before its tests (and before the file's
 * own set-up, registered after this), and everything labelled with this run removed after them.
 */
export function useDocker(): TestResources {
  const res = new TestResources();
  beforeAll(() => setupDocker(), 20 * 60_000);
  afterAll(() => res.cleanup(), 120_000);
  return res;
}
