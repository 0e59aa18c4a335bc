import { DecodeError, type Reader } from './reader.js'
import { Writer } from './writer.js'

// Small pieces the generated codecs share; kept by hand so the generated files stay flat.

export const EMPTY_BUFFER = Buffer.alloc(0)
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export function readArray<T> (r: Reader, compact: boolean, nullable: boolean, read: () => T): T[] | null {
  const n = r.readArrayLength(compact)
  if (n < 0) {
    if (!nullable) throw new DecodeError(`null array where one is required at offset ${r.offset}`)
    return null
  }
  const out = new Array<T>(n)
  for (let i = 0; i < n; i++) out[i] = read()
  return out
}

export function writeArray<T> (w: Writer, compact: boolean, nullable: boolean, items: readonly T[] | null | undefined, write: (item: T) => void): void {
  if (items === null || items === undefined) {
    w.writeArrayLength(nullable ? -1 : 0, compact)
    return
  }
  w.writeArrayLength(items.length, compact)
  for (const item of items) write(item)
}

/** Reads the tagged-field section, handing known tags to `read`, which must consume exactly `size` bytes or fewer. */
export function readTaggedFields (r: Reader, read: (tag: number) => void): void {
  const count = r.readUVarint()
  for (let i = 0; i < count; i++) {
    const tag = r.readUVarint()
    const size = r.readUVarint()
    const end = r.offset + size
    if (end > r.buf.length) throw new DecodeError(`tagged field ${tag} of ${size} bytes overruns the buffer`)
    read(tag)
    if (r.offset > end) throw new DecodeError(`tagged field ${tag} is longer than its declared ${size} bytes`)
    r.offset = end
  }
}

/** Writes tagged fields in ascending tag order, each as tag, size, bytes. */
export function writeTaggedFields (w: Writer, fields: [number, Writer][]): void {
  fields.sort((a, b) => a[0] - b[0])
  w.writeUVarint(fields.length)
  for (const [tag, body] of fields) {
    w.writeUVarint(tag)
    w.writeUVarint(body.length)
    for (const chunk of body.toChunks()) w.writeRaw(chunk)
  }
}

export function newWriter (): Writer { return new Writer() }
