import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { compressionsAlgorithms } from '@platformatic/kafka'
import { isTransient, lz4Compress, lz4DecompressView, snappyCompress, snappyDecompressView } from './wasm-codecs.js'
import { compressRecords, decompressRecords, decompressRecordsTransient } from './compression.js'

/** Text that compresses like log lines, of about `bytes` bytes, with some random bytes in it. */
function logText (bytes: number): Buffer {
  const noise = randomBytes(4096).toString('hex')
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += `{"log":"GET /item/${i} HTTP/1.1\\" ${i % 7 === 0 ? 404 : 200} ","r":"${noise.slice((i * 13) % 8000, (i * 13) % 8000 + 12)}"}\n`
  return Buffer.from(text.slice(0, bytes))
}

test('lz4 frames and snappy blocks round-trip, and read what @platformatic/kafka\'s producer writes', () => {
  for (const size of [0, 1, 100, 70_000, 3_000_000]) {
    const data = logText(size)
    assert.ok(Buffer.from(lz4DecompressView(lz4Compress(data))).equals(data), `lz4, ${size} bytes`)
    assert.ok(Buffer.from(snappyDecompressView(snappyCompress(data))).equals(data), `snappy, ${size} bytes`)
  }
  // Batch-sized inputs (that package's own functions are not used on larger ones here).
  for (const size of [100, 70_000, 900_000]) {
    const data = logText(size)
    assert.ok(lz4DecompressView(Buffer.from(compressionsAlgorithms.lz4.compressSync(data))).equals(data))
    assert.ok(snappyDecompressView(Buffer.from(compressionsAlgorithms.snappy.compressSync(data))).equals(data))
  }
})

test('a decompressed section can be compressed again straight from its view (the broker recompressing a produced batch), small and larger than anything the module held before', () => {
  // Small first, so the next, larger input needs a larger input area (and more memory).
  for (const size of [1_000, 30_000_000]) {
    const data = logText(size)
    const view = lz4DecompressView(lz4Compress(data))
    assert.ok(isTransient(view))
    const again = compressRecords(2, view)
    assert.ok(decompressRecords(2, again).equals(data), `${size} bytes`)
  }
})

test('decompressRecords hands out a Buffer of its own; decompressRecordsTransient a view that the next call may reuse', () => {
  const a = logText(50_000)
  const b = logText(50_000)
  const owned = decompressRecords(3, compressRecords(3, a))
  assert.equal(isTransient(owned), false)
  const view = decompressRecordsTransient(3, compressRecords(3, b))
  assert.ok(isTransient(view))
  assert.ok(owned.equals(a))
  assert.ok(view.equals(b))
})

test('malformed input fails with a CompressionError naming the codec, and the decoders keep working after it', () => {
  for (const codec of [2, 3]) {
    assert.throws(() => decompressRecordsTransient(codec, Buffer.from('04224d1840700000000000ffffffff', 'hex')), new RegExp(`cannot decompress ${codec === 2 ? 'snappy' : 'lz4'} records`))
    const data = logText(10_000)
    assert.ok(decompressRecords(codec, compressRecords(codec, data)).equals(data))
  }
})
