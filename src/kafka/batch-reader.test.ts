import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildBatch, updateCrc, ATTRIBUTES, HEADER_SIZE } from '../protocol/record-batch/index.js'
import { readChunk, readPartitionBatches } from './batch-reader.js'

const batch = (base: number, values: string[], opts: { compression?: number, control?: boolean } = {}): Buffer =>
  buildBatch(values.map(value => ({ value, headers: [['h', value]] })), { baseOffset: base, ...opts })

test('records from the fetch position on, across codecs; control batches are stepped over', () => {
  const data = Buffer.concat([batch(0, ['a', 'b', 'c'], { compression: 1 }), batch(3, [''], { control: true }), batch(4, ['d'], { compression: 3 })])
  const r = readPartitionBatches('logs', 2, 1, data)
  assert.equal(r.unreadable, null)
  assert.deepEqual(r.records.map(x => [x.offset, x.value?.toString(), x.headers.h, x.partition]), [[1, 'b', 'b', 2], [2, 'c', 'c', 2], [4, 'd', 'd', 2]])
  assert.equal(r.next, 5)
})

test('reading stops after the first batch that cannot be read, which is returned whole with the reason', () => {
  const corrupt = batch(2, ['x', 'y'], { compression: 1 })
  corrupt[HEADER_SIZE + 12] ^= 0xff
  updateCrc(corrupt, 0, corrupt.length)
  const badCrc = batch(4, ['z'])
  badCrc[badCrc.length - 1] ^= 0xff
  const unknown = batch(0, ['u'])
  unknown.writeInt16BE(6, ATTRIBUTES)
  updateCrc(unknown, 0, unknown.length)

  const r = readPartitionBatches('logs', 0, 0, Buffer.concat([batch(0, ['a', 'b']), corrupt, badCrc]))
  assert.deepEqual(r.records.map(x => x.value?.toString()), ['a', 'b'])
  assert.deepEqual({ base: r.unreadable?.baseOffset, last: r.unreadable?.lastOffset, next: r.next }, { base: 2, last: 3, next: 4 })
  assert.match(r.unreadable!.reason, /cannot decompress gzip records/)
  assert.ok(r.unreadable!.bytes.equals(corrupt))

  assert.match(readPartitionBatches('logs', 0, 4, badCrc).unreadable!.reason, /CRC-32C mismatch/)
  assert.match(readPartitionBatches('logs', 0, 0, unknown).unreadable!.reason, /unknown compression codec 6/)
})

test('a truncated batch at the end of a fetch is left for the next read', () => {
  const whole = batch(0, ['a'])
  const r = readPartitionBatches('logs', 0, 0, Buffer.concat([whole, batch(1, ['b']).subarray(0, 30)]))
  assert.deepEqual(r.records.map(x => x.offset), [0])
  assert.equal(r.unreadable, null)
  assert.equal(r.next, 1)
})

test('the value filter keeps exactly the records whose value contains every needle (compared with a plain includes() on random data, needles across record boundaries, null and empty values)', () => {
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const alphabet = 'ab 4_0'
  for (let round = 0; round < 200; round++) {
    const values = Array.from({ length: 1 + rand(40) }, () => rand(10) === 0 ? null : Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join(''))
    const needles = Array.from({ length: 1 + rand(2) }, () => Array.from({ length: 1 + rand(3) }, () => alphabet[rand(alphabet.length)]).join(''))
    const data = buildBatch(values.map(value => ({ value })), { compression: round % 2 === 0 ? 0 : 1 })
    const r = readChunk('t', 0, 0, data, needles.map(n => Buffer.from(n)))
    const expected = values.map((v, i) => ({ v, i })).filter(x => x.v !== null && needles.every(n => x.v!.includes(n))).map(x => x.i)
    assert.deepEqual(r.records.map(x => x.offset), expected, `values ${JSON.stringify(values)} needles ${JSON.stringify(needles)}`)
    assert.equal(r.scanned, values.length)
  }
})

test('with an aborted-transactions list, batches of aborted transactions are skipped until their producer\'s abort marker; committed ones and markers\' offsets are still covered', () => {
  const marker = (producerId: number, type: number, base: number): Buffer => {
    const key = Buffer.alloc(4)
    key.writeInt16BE(type, 2)
    return buildBatch([{ key, value: Buffer.alloc(6) }], { baseOffset: base, control: true, transactional: true, producerId })
  }
  const txn = (producerId: number, base: number, values: string[]): Buffer => buildBatch(values.map(value => ({ value })), { baseOffset: base, transactional: true, producerId })
  const data = Buffer.concat([txn(1, 0, ['keep-1']), txn(2, 1, ['drop-1', 'drop-2']), marker(1, 1, 3), marker(2, 0, 4), txn(2, 5, ['keep-2']), marker(2, 1, 6)])
  const r = readChunk('t', 0, 0, data, null, [{ producerId: 2, firstOffset: 1 }])
  assert.deepEqual(r.records.map(x => x.value?.toString()), ['keep-1', 'keep-2'])
  assert.equal(r.aborted, 2)
  assert.equal(r.next, 7)
  // read_uncommitted (no list): everything but the markers.
  assert.deepEqual(readChunk('t', 0, 0, data).records.map(x => x.value?.toString()), ['keep-1', 'drop-1', 'drop-2', 'keep-2'])
})

test('records read from lz4 and snappy batches keep their bytes after later batches are decompressed (the decoders hand out views of their memory), whether a few or most of a batch are kept', () => {
  const values = (tag: string): string[] => Array.from({ length: 300 }, (_, i) => `${tag}-${i}-${i % 20 === 0 ? 'keep' : 'pass'}-${'x'.repeat(i % 50)}`)
  for (const compression of [2, 3]) {
    const batches = ['a', 'b', 'c', 'd'].map((tag, i) => buildBatch(values(tag).map(value => ({ key: `k-${value}`, value })), { baseOffset: i * 300, compression }))
    // Few kept (a needle in 1 of 20): copied one by one. All kept: the section copied once.
    const few = batches.map(b => readChunk('t', 0, 0, b, [Buffer.from('keep')]).records)
    const all = batches.map(b => readChunk('t', 0, 0, b).records)
    // Decompressing more batches reuses the decoder's memory: nothing read above may change.
    for (const b of batches) readChunk('t', 0, 0, b)
    ;['a', 'b', 'c', 'd'].forEach((tag, i) => {
      const expected = values(tag)
      assert.deepEqual(few[i].map(r => r.value?.toString()), expected.filter(v => v.includes('keep')), `codec ${compression}, batch ${tag}`)
      assert.deepEqual(few[i].map(r => r.key?.toString()), expected.filter(v => v.includes('keep')).map(v => `k-${v}`))
      assert.deepEqual(all[i].map(r => r.value?.toString()), expected)
      assert.deepEqual(all[i].map(r => r.key?.toString()), expected.map(v => `k-${v}`))
    })
  }
})

test('the latest timestamp of a reading counts the records a filter left out, not those before the fetch position', () => {
  const at = (ts: number[]): Buffer => buildBatch(ts.map((timestamp, i) => ({ value: i === 1 ? 'keep' : 'drop', timestamp })))
  const r = readChunk('t', 0, 1, at([900, 100, 300, 200]), [Buffer.from('keep')])
  assert.deepEqual(r.records.map(x => x.timestamp), [100])
  assert.equal(r.maxTimestamp, 300)
  // Read whole, from its first offset: every record counts (the header's maxTimestamp).
  assert.equal(readChunk('t', 0, 0, at([900, 100, 300, 200]), [Buffer.from('keep')]).maxTimestamp, 900)
  assert.equal(readChunk('t', 0, 0, Buffer.alloc(0)).maxTimestamp, -1)
})
