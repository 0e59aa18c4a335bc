/** A request or response that cannot be read: truncated, or with impossible lengths. */
export class DecodeError extends Error {}

/**
 * Reads Kafka protocol primitives from a buffer. Every read is bounds-checked, and a length
 * prefix larger than the bytes left is refused before anything is allocated, so a hostile
 * frame can cost no more memory than its own size.
 *
 * int64 values are returned as JS numbers: offsets, timestamps and producer ids stay far below
 * 2^53, and the -1/-2 sentinels round-trip exactly.
 */
export class Reader {
  readonly buf: Buffer
  offset: number

  constructor (buf: Buffer, offset = 0) {
    this.buf = buf
    this.offset = offset
  }

  remaining (): number { return this.buf.length - this.offset }

  #need (n: number): number {
    const at = this.offset
    if (n < 0 || at + n > this.buf.length) throw new DecodeError(`need ${n} bytes at offset ${at}, have ${this.buf.length - at}`)
    this.offset = at + n
    return at
  }

  readInt8 (): number { return this.buf.readInt8(this.#need(1)) }
  readInt16 (): number { return this.buf.readInt16BE(this.#need(2)) }
  readUInt16 (): number { return this.buf.readUInt16BE(this.#need(2)) }
  readInt32 (): number { return this.buf.readInt32BE(this.#need(4)) }
  readUInt32 (): number { return this.buf.readUInt32BE(this.#need(4)) }
  readFloat64 (): number { return this.buf.readDoubleBE(this.#need(8)) }
  readBoolean (): boolean { return this.buf[this.#need(1)] !== 0 }

  readInt64 (): number {
    const at = this.#need(8)
    return this.buf.readInt32BE(at) * 4294967296 + this.buf.readUInt32BE(at + 4)
  }

  readUVarint (): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.#need(1)]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
    throw new DecodeError(`unsigned varint longer than 5 bytes at offset ${this.offset}`)
  }

  readVarint (): number {
    const u = this.readUVarint()
    if (u > 0xffffffff) throw new DecodeError('varint out of 32-bit range')
    return (u % 2 === 0) ? u / 2 : -(u + 1) / 2
  }

  readVarlong (): number {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.#need(1)]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return Number((result >> 1n) ^ -(result & 1n))
      shift += 7n
    }
    throw new DecodeError(`varlong longer than 10 bytes at offset ${this.offset}`)
  }

  /** Length of a string/bytes/array: -1 for null. Compact lengths are stored as N+1. */
  #length (compact: boolean, width: 2 | 4): number {
    if (compact) return this.readUVarint() - 1
    return width === 2 ? this.readInt16() : this.readInt32()
  }

  readNullableString (compact: boolean): string | null {
    const n = this.#length(compact, 2)
    if (n < 0) {
      if (n !== -1) throw new DecodeError(`invalid string length ${n}`)
      return null
    }
    const at = this.#need(n)
    return this.buf.toString('utf8', at, at + n)
  }

  readString (compact: boolean): string {
    const s = this.readNullableString(compact)
    if (s === null) throw new DecodeError(`null where a string is required at offset ${this.offset}`)
    return s
  }

  readNullableBytes (compact: boolean): Buffer | null {
    const n = this.#length(compact, 4)
    if (n < 0) {
      if (n !== -1) throw new DecodeError(`invalid bytes length ${n}`)
      return null
    }
    const at = this.#need(n)
    return this.buf.subarray(at, at + n)
  }

  readBytes (compact: boolean): Buffer {
    const b = this.readNullableBytes(compact)
    if (b === null) throw new DecodeError(`null where bytes are required at offset ${this.offset}`)
    return b
  }

  readUuid (): string {
    const at = this.#need(16)
    const h = this.buf.toString('hex', at, at + 16)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }

  /** Element count of an array, -1 for null. Refuses counts that cannot fit in the bytes left. */
  readArrayLength (compact: boolean): number {
    const n = this.#length(compact, 4)
    if (n < -1) throw new DecodeError(`invalid array length ${n}`)
    if (n > this.remaining()) throw new DecodeError(`array of ${n} elements cannot fit in ${this.remaining()} bytes`)
    return n
  }

  /** Skips a tagged-field section (count, then tag/size/bytes per field). */
  skipTaggedFields (): void {
    const count = this.readUVarint()
    for (let i = 0; i < count; i++) {
      this.readUVarint()
      this.#need(this.readUVarint())
    }
  }
}
