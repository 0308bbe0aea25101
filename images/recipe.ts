// What an image recipe is: the inputs that make its content hash, and how to build it.

export const IMAGE_NAMES = ['base', 'runtime', 'node', 'hub', 'prometheus'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export const REPOSITORY = 'blixard-lab';

/** Phases of an image's progress; 'stage' and 'build' are work, the others are checks. */
/** `wait`: another process holds the image cache's build lock. */
export type Phase = 'check' | 'wait' | 'cached' | 'stage' | 'build' | 'done';

export interface ProgressEvent {
  image: ImageName;
  phase: Phase;
  message: string;
}

export interface BuildContext {
  /** The repository's root folder. */
  root: string;
  /** Where staged inputs and build contexts live (under .tools, not committed). */
  cacheDir: string;
  /** Tags of images already ensured in this run (the base first). */
  tags: Partial<Record<ImageName, string>>;
  progress: (phase: Phase, message: string) => void;
}

export interface Prepared {
  /** Named parts of the input hash: file and tree hashes, the Dockerfile text, versions. */
  parts: Record<string, string>;
  /** Builds the image and tags it with every tag given (the first is the content-hash tag). */
  build: (tags: readonly string[]) => Promise<void>;
}

export interface Recipe {
  name: ImageName;
  /** Images that must exist first. */
  needs: readonly ImageName[];
  /** Gathers the inputs cheaply (a warm run does no work here) and returns how to build. */
  prepare: (ctx: BuildContext) => Promise<Prepared>;
}

/**
 * A recipe built FROM one parent image: `prepare` gets the parent's tag, which the build ensured
 * first (a recipe asked for out of order says so).
 */
export function onParent(
  name: ImageName,
  parent: ImageName,
  prepare: (ctx: BuildContext, parentTag: string) => Promise<Prepared>,
): Recipe {
  return {
    name,
    needs: [parent],
    prepare(ctx) {
      const tag = ctx.tags[parent];
      if (!tag) throw new Error(`${name} image: ${parent} not ensured first`);
      return prepare(ctx, tag);
    },
  };
}
