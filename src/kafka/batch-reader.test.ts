import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildBatch, updateCrc, ATTRIBUTES, HEADER_SIZE } from '../protocol/record-batch/index.js'
import { readPartitionBatches } from './batch-reader.js'

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
