/** Largest protobuf message either transport carries: the same boundary on gRPC and Iroh. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * Room an Iroh frame gives its envelope around a message at the limit: the
 * request envelope's service and method names and length prefixes, or the
 * response envelope's tags and error text.
 */
export const ENVELOPE_ALLOWANCE_BYTES = 4096;

/** Largest Iroh frame payload: a message at the limit inside its envelope. */
export const MAX_FRAME_PAYLOAD_BYTES = MAX_MESSAGE_BYTES + ENVELOPE_ALLOWANCE_BYTES;
