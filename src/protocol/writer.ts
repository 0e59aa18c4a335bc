const INITIAL = 1024
/** Byte strings longer than this are referenced, not copied (record batches in Fetch responses). */
const BY_REFERENCE = 512

/**
 * Writes Kafka protocol primitives. Scalars go into a growable scratch buffer; large byte
 * strings are kept by reference as separate chunks, so a Fetch response never copies the
 * record batches it carries. `toChunks()` is ready for a vectored socket write.
 */
export class Writer {
  #chunks: Buffer[] = []
  #buf = Buffer.allocUnsafe(INITIAL)
  #pos = 0
  #start = 0
  #flushedLength = 0

  get length (): number { return this.#flushedLength + this.#pos - this.#start }

  #ensure (n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    this.#cut()
    const size = Math.max(INITIAL * 4, n, this.#buf.length * 2)
    this.#buf = Buffer.allocUnsafe(size)
    this.#pos = 0
    this.#start = 0
  }

  /** Closes the current scratch region as a chunk (the scratch buffer itself is not reused). */
  #cut (): void {
    if (this.#pos > this.#start) {
      this.#chunks.push(this.#buf.subarray(this.#start, this.#pos))
      this.#flushedLength += this.#pos - this.#start
      this.#start = this.#pos
    }
  }

  writeInt8 (n: number): void { this.#ensure(1); this.#pos = this.#buf.writeInt8(n, this.#pos) }
  writeInt16 (n: number): void { this.#ensure(2); this.#pos = this.#buf.writeInt16BE(n, this.#pos) }
  writeUInt16 (n: number): void { this.#ensure(2); this.#pos = this.#buf.writeUInt16BE(n, this.#pos) }
  writeInt32 (n: number): void { this.#ensure(4); this.#pos = this.#buf.writeInt32BE(n, this.#pos) }
  writeUInt32 (n: number): void { this.#ensure(4); this.#pos = this.#buf.writeUInt32BE(n, this.#pos) }
  writeFloat64 (n: number): void { this.#ensure(8); this.#pos = this.#buf.writeDoubleBE(n, this.#pos) }
  writeBoolean (b: boolean): void { this.#ensure(1); this.#buf[this.#pos++] = b ? 1 : 0 }

  writeInt64 (n: number): void {
    this.#ensure(8)
    // Split into two 32-bit halves; exact for every integer within ±2^53, negatives included.
    const hi = Math.floor(n / 4294967296)
    this.#pos = this.#buf.writeInt32BE(hi, this.#pos)
    this.#pos = this.#buf.writeUInt32BE(n - hi * 4294967296, this.#pos)
  }

  writeUVarint (n: number): void {
    this.#ensure(5)
    let v = n >>> 0
    while (v >= 0x80) {
      this.#buf[this.#pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.#buf[this.#pos++] = v
  }

  writeVarint (n: number): void { this.writeUVarint(((n << 1) ^ (n >> 31)) >>> 0) }

  writeVarlong (n: number): void {
    this.#ensure(10)
    const b = BigInt(Math.trunc(n))
    let v = (b << 1n) ^ (b >> 63n)
    if (v < 0n) v += 1n << 64n
    while (v >= 0x80n) {
      this.#buf[this.#pos++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.#buf[this.#pos++] = Number(v)
  }

  #writeLength (n: number, compact: boolean, width: 2 | 4): void {
    if (compact) this.writeUVarint(n + 1)
    else if (width === 2) this.writeInt16(n)
    else this.writeInt32(n)
  }

  writeNullableString (s: string | null, compact: boolean): void {
    if (s === null) {
      this.#writeLength(-1, compact, 2)
      return
    }
    const n = Buffer.byteLength(s)
    this.#writeLength(n, compact, 2)
    this.#ensure(n)
    this.#pos += this.#buf.write(s, this.#pos, 'utf8')
  }

  writeString (s: string, compact: boolean): void { this.writeNullableString(s, compact) }

  writeNullableBytes (b: Buffer | null, compact: boolean): void {
    if (b === null) {
      this.#writeLength(-1, compact, 4)
      return
    }
    this.#writeLength(b.length, compact, 4)
    this.writeRaw(b)
  }

  writeBytes (b: Buffer, compact: boolean): void { this.writeNullableBytes(b, compact) }

  writeUuid (s: string): void {
    const hex = s.replaceAll('-', '')
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: '${s}'`)
    this.#ensure(16)
    this.#pos += this.#buf.write(hex, this.#pos, 'hex')
  }

  writeArrayLength (n: number, compact: boolean): void { this.#writeLength(n, compact, 4) }

  writeEmptyTaggedFields (): void { this.writeUVarint(0) }

  /** Appends bytes as they are; large ones by reference. */
  writeRaw (b: Buffer): void {
    if (b.length > BY_REFERENCE) {
      this.#cut()
      this.#chunks.push(b)
      this.#flushedLength += b.length
      return
    }
    this.#ensure(b.length)
    this.#pos += b.copy(this.#buf, this.#pos)
  }

  toChunks (): Buffer[] {
    this.#cut()
    return this.#chunks
  }

  toBuffer (): Buffer {
    const chunks = this.toChunks()
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.#flushedLength)
  }
}
