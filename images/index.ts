// The public face of images/: the lab asks for images by name and gets their tags back.

export {
  BLIXARD_IMAGE,
  type BlixardBinary,
  BlixardNotBuiltError,
  type BlixardSource,
  blixardBinary,
  ensureBlixardImage,
} from './blixard/index.ts';
export { type EnsureOptions, ensureImages, isImageName, latestTag } from './ensure.ts';
export { TOXIPROXY_API_PORT, UDP_PROXY_API_PORT } from './hub/index.ts';
export { PROMETHEUS_PORT } from './prometheus/index.ts';
export { IMAGE_NAMES, type ImageName, type Phase, type ProgressEvent, REPOSITORY } from './recipe.ts';
export { UID as NODE_UID, USER as NODE_USER } from './runtime/index.ts';
