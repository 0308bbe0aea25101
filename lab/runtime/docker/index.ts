/** The docker runtime's public face. */
export { DockerDriver } from './docker-runtime.ts';
export async function dockerReachable(): Promise<boolean> {
  return false;
}
export async function removeOrphans(): Promise<number> {
  return 0;
}
