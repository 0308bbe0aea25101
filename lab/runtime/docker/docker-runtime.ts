/** The docker runtime (in progress). */
import type { RuntimeDriver } from '../driver.ts';
import type { IrohKey } from '../iroh-key.ts';
import type { ClusterOptions } from '../options.ts';
import type { ClusterState } from '../state.ts';

export interface DockerRuntimeOptions extends ClusterOptions {
  runId: string;
  workDir: string;
  seed: number;
  clientKey: IrohKey;
  onDriver?: ((driver: RuntimeDriver) => void) | undefined;
}

export class DockerDriver {
  static async start(_opts: DockerRuntimeOptions): Promise<RuntimeDriver> {
    throw new Error('the docker runtime is not ready yet');
  }
  static attach(_state: ClusterState): RuntimeDriver {
    throw new Error('the docker runtime is not ready yet');
  }
}
