/** Link probes: what each link side's source dials, and HealthCheck round trips through it from where that source sends. */
export { type ContainerProbe, openContainerProbe } from './container-probe.ts';
export { answered, answers, fastest, openHostProbe, openSourceProbe, probeOnce } from './link-probe.ts';
export type { LinkProbe, ProbeTarget } from './probe-types.ts';
export { directIrohAddresses, probeTargets } from './targets.ts';
