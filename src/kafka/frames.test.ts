import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameReader, MAX_FRAME_BYTES } from './frames.js'

const frame = (size: number, fill: number): Buffer => {
  const b = Buffer.alloc(4 + size, fill)
  b.writeInt32BE(size, 0)
  return b
}

test('frames come out whole and in order however the bytes are split, through push() and through reads into target()', () => {
  const sizes = [0, 1, 3, 100, 70_000, 5, 200_000, 65_532, 65_536, 12]
  const stream = Buffer.concat(sizes.map((s, i) => frame(s, i + 1)))
  for (const mode of ['push', 'read'] as const) {
    for (const chunk of [1, 7, 4096, 65_536, 1_000_000]) {
      const reader = new FrameReader()
      const out: Buffer[] = []
      reader.onFrame = f => out.push(Buffer.from(f))
      for (let at = 0; at < stream.length;) {
        if (mode === 'push') {
          const n = Math.min(chunk, stream.length - at)
          reader.push(stream.subarray(at, at + n))
          at += n
        } else {
          // What net's onread does: read into the buffer target() returns, then report how much.
          const target = reader.target()
          const n = Math.min(chunk, target.length, stream.length - at)
          stream.copy(target, 0, at, at + n)
          at += n
          reader.wrote(n)
        }
      }
      assert.deepEqual(out.map(f => f.length), sizes, `${mode}, chunks of ${chunk}`)
      out.forEach((f, i) => assert.ok(f.every(b => b === i + 1), `${mode}, chunks of ${chunk}: frame ${i} intact`))
    }
  }
})

test('a size prefix beyond MAX_FRAME_BYTES is refused instead of allocated', () => {
  const reader = new FrameReader()
  const bad = Buffer.alloc(4)
  bad.writeInt32BE(MAX_FRAME_BYTES + 1)
  assert.throws(() => reader.push(bad), /MAX_FRAME_BYTES/)
})
