/** P2P images: the content-addressed store, the blixard/blobs/1 protocol and the p2p RPCs. */
export { BlobClient } from './blob-client.ts';
export { BlobServer } from './blob-server.ts';
export { ChunkPlan, type ChunkTask } from './chunk-plan.ts';
export { type FetchResult, fetchImage, type Holder } from './image-fetcher.ts';
export { ImageStore, PartialImage } from './image-store.ts';
export {
  buildManifest,
  chunkRange,
  DEFAULT_CHUNK_BYTES,
  decodeManifest,
  encodeManifest,
  type ImageManifest,
  ManifestBuilder,
  sha256Hex,
  verifyChunk,
} from './manifest.ts';
export { P2pService, type P2pServiceDeps } from './p2p-service.ts';
