const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads what ByteWriter wrote, checking every length against the bytes that remain, so that
 * garbage input fails with an Error naming the field instead of allocating or reading wildly.
 */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;
  private readonly what: string;
  private readonly input: Uint8Array;

  constructor(input: Uint8Array, what: string) {
    this.input = input;
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.what = what;
  }

  remaining(): number {
    return this.input.length - this.offset;
  }

  position(): number {
    return this.offset;
  }

  fail(field: string, problem: string): never {
    throw new Error(`${this.what}: ${field}: ${problem} (at byte ${this.offset} of ${this.input.length})`);
  }

  private need(n: number, field: string): void {
    if (this.remaining() < n) this.fail(field, `truncated: need ${n} bytes, ${this.remaining()} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    const v = this.view.getUint8(this.offset);
    this.offset += 1;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  u64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(field, `value ${v} is too large`);
    this.offset += 8;
    return Number(v);
  }

  bool(field: string): boolean {
    const v = this.u8(field);
    if (v > 1) this.fail(field, `expected 0 or 1, got ${v}`);
    return v === 1;
  }

  bytes(field: string, maxLength = Number.POSITIVE_INFINITY): Uint8Array {
    const length = this.u32(`${field} length`);
    if (length > maxLength) this.fail(field, `length ${length} exceeds the limit ${maxLength}`);
    this.need(length, field);
    // A plain copy: a Buffer input must not leak Buffer (or its shared pool) into decoded values.
    const v = new Uint8Array(this.input.subarray(this.offset, this.offset + length));
    this.offset += length;
    return v;
  }

  string(field: string, maxLength: number): string {
    const raw = this.bytes(field, maxLength);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(field, 'invalid UTF-8');
    }
  }

  /** A count of items that each take at least `minItemBytes`: bounded by the bytes left. */
  count(field: string, minItemBytes: number): number {
    const n = this.u32(field);
    if (n * minItemBytes > this.remaining())
      this.fail(field, `count ${n} cannot fit in the ${this.remaining()} bytes left`);
    return n;
  }

  end(): void {
    if (this.remaining() !== 0) this.fail('end', `${this.remaining()} unexpected trailing bytes`);
  }
}
