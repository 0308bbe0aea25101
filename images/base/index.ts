/** The Debian base image, made offline with debootstrap and docker import; everything else builds FROM it. */

export { buildHostRootfs, closure, installedPackages, placePackageFiles } from './host-rootfs.ts';
export { base, mirrorFromSources } from './recipe.ts';
