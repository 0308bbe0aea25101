/** The Prometheus image, from Debian's package. */
export { PROMETHEUS_PORT, prometheus } from './recipe.ts';
