/**
 * The decoders' robustness property: any bytes either decode or fail the way the decoder promises
 * (its own error type, a message naming what is wrong), never anything else.
 */
import fc from 'fast-check';

/** Decodes random byte strings up to `maxLength` long; whatever one throws must pass `check`. */
export function assertGarbageFails(
  decode: (bytes: Uint8Array) => unknown,
  maxLength: number,
  check: (err: unknown) => void,
): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength }), (bytes) => {
      try {
        decode(bytes);
      } catch (err) {
        check(err);
      }
    }),
  );
}
