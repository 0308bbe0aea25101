/** Link probes: what each link side's source dials, and HealthCheck round trips through it from where that source sends. */
export { type ContainerProbe, openContainerProbe } from './container-probe.ts';
export { answers, fastest, type LinkProbe, openHostProbe, openSourceProbe, probeOnce } from './link-probe.ts';
export { directIrohAddresses, type ProbeTarget, probeTargets } from './targets.ts';
