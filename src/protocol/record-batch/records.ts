// The records inside a (decompressed) RecordBatch, walked in place. Every integer is a zigzag
// varint; lengths of -1 mean null:
//   length | attributes int8 | timestampDelta | offsetDelta | keyLength | key | valueLength |
//   value | headerCount | [headerKeyLength | headerKey | headerValueLength | headerValue]
// Nothing is copied: keys, values and header parts are positions into the section, so a filter
// can look at a value's bytes and skip the record without building anything.

export class RecordFormatError extends Error {}

/** One record as positions into the records section (`-1` start: null). */
export interface RecordView {
  /** Index of the record in its batch. */
  index: number
  offsetDelta: number
  timestampDelta: number
  keyStart: number
  keyEnd: number
  valueStart: number
  valueEnd: number
  /** Start of the header count varint; headers are read on demand with readHeaders(). */
  headersAt: number
  headerCount: number
  /** The whole record's bytes, its length varint included: [start, end). */
  start: number
  end: number
}

/** A bounds-checked cursor over varints. */
export class VarintCursor {
  pos: number
  readonly #buf: Buffer
  readonly #end: number

  constructor (buf: Buffer, pos = 0, end = buf.length) {
    this.#buf = buf
    this.pos = pos
    this.#end = end
  }

  varint (): number {
    // A running multiplier instead of 2 ** shift: the exponentiation made this loop (and so
    // every record walk) about seven times slower.
    const buf = this.#buf
    let pos = this.pos
    if (pos >= this.#end) throw new RecordFormatError('varint runs past the end of the records')
    let b = buf[pos++]
    let result = b & 0x7f
    let mul = 128
    while (b >= 0x80) {
      if (pos >= this.#end) throw new RecordFormatError('varint runs past the end of the records')
      if (mul > 2 ** 63) throw new RecordFormatError('varint longer than 10 bytes')
      b = buf[pos++]
      result += (b & 0x7f) * mul
      mul *= 128
    }
    this.pos = pos
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }

  /** Where the field skipped last ends (-1 for null). */
  fieldEnd = -1

  /**
   * Skips a length-prefixed field; returns its start (-1 for null), its end in `fieldEnd`: no
   * array per field (two per record were most of what walking a batch allocated).
   */
  skipField (): number {
    const length = this.varint()
    if (length < 0) { this.fieldEnd = -1; return -1 }
    const start = this.pos
    if (start + length > this.#end) throw new RecordFormatError('a key, value or header runs past the end of its record')
    this.pos += length
    this.fieldEnd = this.pos
    return start
  }

  /** Skips a length-prefixed field; returns its [start, end), start -1 for null. */
  field (): [number, number] {
    const start = this.skipField()
    return [start, this.fieldEnd]
  }
}

/**
 * Calls `visit` for each of `count` records in `section`; stops early when `visit` returns false.
 * Throws RecordFormatError on a record that runs past its length or the section.
 */
export function walkRecords (section: Buffer, count: number, visit: (r: RecordView) => boolean | void): void {
  const c = new VarintCursor(section)
  const view: RecordView = { index: 0, offsetDelta: 0, timestampDelta: 0, keyStart: -1, keyEnd: -1, valueStart: -1, valueEnd: -1, headersAt: 0, headerCount: 0, start: 0, end: 0 }
  for (let i = 0; i < count; i++) {
    view.start = c.pos
    const length = c.varint()
    const end = c.pos + length
    if (length < 0 || end > section.length) throw new RecordFormatError(`record ${i} runs past the end of the records`)
    c.pos++ // record attributes: unused since KIP-98
    view.index = i
    view.timestampDelta = c.varint()
    view.offsetDelta = c.varint()
    view.keyStart = c.skipField()
    view.keyEnd = c.fieldEnd
    view.valueStart = c.skipField()
    view.valueEnd = c.fieldEnd
    view.headersAt = c.pos
    view.headerCount = c.varint()
    if (view.headerCount < 0) throw new RecordFormatError(`record ${i} has a negative header count`)
    for (let h = 0; h < view.headerCount; h++) { c.skipField(); c.skipField() }
    if (c.pos > end) throw new RecordFormatError(`record ${i} overruns its length`)
    c.pos = end
    view.end = end
    if (visit(view) === false) return
  }
}

/** The headers of one record as [key, value] UTF-8 strings. */
export function readHeaders (section: Buffer, r: RecordView): [string, string][] {
  const c = new VarintCursor(section, r.headersAt)
  const out: [string, string][] = []
  const count = c.varint()
  for (let h = 0; h < count; h++) {
    const [ks, ke] = c.field()
    const [vs, ve] = c.field()
    out.push([ks < 0 ? '' : section.toString('utf8', ks, ke), vs < 0 ? '' : section.toString('utf8', vs, ve)])
  }
  return out
}
