/** The real Blixard as an image: its binary by commit (scripts/setup-blixard.sh) and the image around it. */
export {
  type BlixardBinary,
  BlixardNotBuiltError,
  type BlixardSource,
  blixardBinary,
} from './binary.ts';
export { BLIXARD_IMAGE, type BlixardImageOptions, ensureBlixardImage } from './recipe.ts';
