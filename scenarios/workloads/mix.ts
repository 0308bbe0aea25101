/**
 * An incident's choice of workloads: how many clients each workload runs (`mix`), turned into the
 * specs `runWorkloads` drives.
 */

import type { WorkloadName } from './history.ts';
import { imageSpec } from './image.ts';
import { registerSpec } from './register.ts';
import type { WorkloadSpec } from './runner.ts';
import { setSpec } from './set.ts';
import { statusSpec } from './status.ts';
import { taskSpec } from './task.ts';
import { vmSpec } from './vm.ts';

export type WorkloadMix = Partial<Record<WorkloadName, number>>;

export interface MixOptions {
  /** Register keys, and the set workload's sets. */
  keys: number;
  /** Name prefix (letters, digits, `_ . -`). */
  prefix: string;
  /** The cluster's node ids (migration targets). */
  nodes: readonly string[];
  /** VM names per VM client. */
  vmNames?: number | undefined;
}

/** The specs of a mix, in a fixed order (register, set, vm, task, image, status); zero clients: left out. */
export function specsOf(mix: WorkloadMix, o: MixOptions): WorkloadSpec[] {
  const specs: WorkloadSpec[] = [];
  const n = (w: WorkloadName) => mix[w] ?? 0;
  if (n('register') > 0) specs.push(registerSpec({ clients: n('register'), keys: o.keys, prefix: o.prefix }));
  if (n('set') > 0)
    specs.push(setSpec({ clients: n('set'), keys: Math.max(1, Math.ceil(o.keys / 2)), prefix: o.prefix }));
  if (n('vm') > 0)
    specs.push(vmSpec({ clients: n('vm'), names: o.vmNames ?? 2, prefix: o.prefix, nodes: o.nodes }));
  if (n('task') > 0) specs.push(taskSpec({ clients: n('task'), prefix: o.prefix }));
  if (n('image') > 0) specs.push(imageSpec({ clients: n('image'), prefix: o.prefix }));
  if (n('status') > 0) specs.push(statusSpec({ clients: n('status') }));
  return specs;
}
