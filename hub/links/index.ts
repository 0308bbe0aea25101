/** Links of the chaos hub on both transports, with one toxic spec for TCP and UDP. */
export {
  createLinkSet,
  Link,
  type LinkDefinition,
  type LinkEnds,
  type LinkSet,
  type LinkSetOptions,
  type ToxicOptions,
} from './link-set.ts';
export {
  LINK_SIDES,
  LINK_TOXIC_TYPES,
  type LinkSide,
  LinkSpecError,
  type LinkToxicSpec,
  type LinkToxicType,
  parseLinkToxic,
  sidesOf,
} from './toxic-spec.ts';
