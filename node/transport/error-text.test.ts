import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatErrorText, parseErrorText } from './error-text.ts';
import { Code, RpcError, type StatusCode } from './status.ts';

describe('error text', () => {
  it('round-trips every non-OK code with any message', () => {
    const codes = Object.values(Code).filter((c) => c !== Code.OK) as StatusCode[];
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.string(), (code, message) => {
        const back = parseErrorText(formatErrorText(new RpcError(code, message)));
        expect(back.code).toBe(code);
        expect(back.message).toBe(message);
      }),
    );
  });

  it('reads text without a known code as UNKNOWN, keeping the text', () => {
    expect(parseErrorText('disk on fire')).toMatchObject({ code: Code.UNKNOWN, message: 'disk on fire' });
    expect(parseErrorText('OK: fine')).toMatchObject({ code: Code.UNKNOWN });
    expect(parseErrorText('NOPE: x')).toMatchObject({ code: Code.UNKNOWN, message: 'NOPE: x' });
  });
});
