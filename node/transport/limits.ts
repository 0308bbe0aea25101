/** Largest message either transport carries (DESIGN: 10 MiB on the Iroh frame). */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
