import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Reader, DecodeError } from './reader.js'
import { Writer } from './writer.js'
import { decodeRequestHeader, encodeResponseHeader } from './headers.js'
import * as generated from './generated/index.js'
import { loadMessage, type FieldSpec, type MessageSpec } from '../../scripts/codec/schema.js'
import { generate } from '../../scripts/generate-codec.js'

// dist/src/protocol → the repository root is three levels up; the specs are vendored in it.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const specDir = path.join(root, 'vendor', 'kafka-protocol')
const sourceDir = path.join(root, 'src', 'protocol', 'generated')

const modules = generated as unknown as Record<string, Record<string, any>>
const lowerFirst = (s: string): string => s[0].toLowerCase() + s.slice(1)
const inRange = (v: number, r: { min: number, max: number }): boolean => v >= r.min && v <= r.max

/** A value for every field present in `version`, none of them defaults, some nulls. */
function sample (m: MessageSpec, fields: FieldSpec[], version: number, seed: { n: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(version, f.versions)) continue
    if (f.tag !== null && !inRange(version, f.tagged)) continue
    const n = ++seed.n
    const nullable = inRange(version, f.nullable)
    const key = lowerFirst(f.name)
    if (nullable && n % 5 === 0) { out[key] = null; continue }
    const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type
    const one = (i: number): unknown => {
      switch (elem) {
        case 'bool': return true
        case 'int8': return (n + i) % 100 + 1
        case 'int16': return 1000 + n + i
        case 'uint16': return 60000 + i
        case 'int32': return 100000 + n + i
        case 'uint32': return 4000000000 + i
        case 'int64': return 2 ** 40 + n + i
        case 'float64': return 1.5 + n
        case 'string': return `s${n}-${i}-ü`
        case 'bytes': case 'records': return Buffer.from(`b${n}-${i}`.repeat(i === 1 ? 200 : 1))
        case 'uuid': return `0000000${n % 10}-1111-2222-3333-44445555666${i}`
        default: {
          const sub = f.fields ?? m.commonStructs.get(elem)!
          return sample(m, sub, version, seed)
        }
      }
    }
    out[key] = f.type.startsWith('[]') ? [one(0), one(1)] : one(0)
  }
  return out
}

/** The decoded value restricted to the fields present in `version`, for comparison with the sample. */
function present (m: MessageSpec, fields: FieldSpec[], version: number, value: any): any {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(version, f.versions) || (f.tag !== null && !inRange(version, f.tagged))) continue
    const key = lowerFirst(f.name)
    const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type
    const sub = f.fields ?? m.commonStructs.get(elem)
    const v = value[key]
    if (sub !== undefined && v !== null) out[key] = Array.isArray(v) ? v.map(x => present(m, sub, version, x)) : present(m, sub, version, v)
    else out[key] = v
  }
  return out
}

const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
const camelModule = (s: string): string => lowerFirst(kebab(s).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()))

test('every message round-trips in every version, flexible and tagged fields included', () => {
  assert.ok(fs.existsSync(specDir), `Kafka message definitions expected at ${specDir}`)
  let checked = 0
  for (const file of fs.readdirSync(specDir).filter(f => f.endsWith('.json'))) {
    const m = loadMessage(path.join(specDir, file))
    const mod = modules[camelModule(m.name)]
    assert.ok(mod !== undefined, `module for ${m.name}`)
    for (let version = m.valid.min; version <= m.valid.max; version++) {
      const value = sample(m, m.fields, version, { n: version })
      const w = new Writer()
      mod[`encode${m.name}`](w, version, value)
      const bytes = w.toBuffer()
      assert.equal(bytes.length, w.length)
      const r = new Reader(bytes)
      const decoded = mod[`decode${m.name}`](r, version)
      assert.equal(r.remaining(), 0, `${m.name} v${version}: decoder consumed every byte`)
      assert.deepEqual(present(m, m.fields, version, decoded), value, `${m.name} v${version}`)
      checked++
    }
  }
  assert.ok(checked > 250, `checked ${checked} message versions`)
})

test('the committed generated code is exactly what the generator produces', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-codec-'))
  try {
    const files = generate(specDir, tmp)
    for (const f of files) {
      assert.equal(fs.readFileSync(path.join(tmp, f), 'utf8'), fs.readFileSync(path.join(sourceDir, f), 'utf8'), `${f} is stale: run npm run generate:codec`)
    }
    assert.deepEqual(fs.readdirSync(sourceDir).sort(), files.sort(), 'no extra or missing generated files')
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test('known bytes: ApiVersions v3 request (header v2 with an int16 client id) and a v0 response', () => {
  const frame = Buffer.from([
    0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, // ApiVersions v3, correlation id 7
    0x00, 0x04, ...Buffer.from('kcat'), // client id: int16 length even in header v2
    0x00, // header tagged fields
    0x05, ...Buffer.from('kcat'), 0x04, ...Buffer.from('1.7'), 0x00 // compact strings + tagged fields
  ])
  const r = new Reader(frame)
  const h = decodeRequestHeader(r)
  assert.deepEqual(h, { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'kcat', headerVersion: 2 })
  const body = generated.apiVersionsRequest.decodeApiVersionsRequest(r, 3)
  assert.deepEqual(body, { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' })

  const w = new Writer()
  encodeResponseHeader(w, 0, 7)
  generated.apiVersionsResponse.encodeApiVersionsResponse(w, 0, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] })
  assert.deepEqual([...w.toBuffer()], [0, 0, 0, 7, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3])
})

test('known bytes: a tagged field in a flexible response is written with tag, size and value', () => {
  const w = new Writer()
  generated.apiVersionsResponse.encodeApiVersionsResponse(w, 3, { errorCode: 0, apiKeys: [], throttleTimeMs: 0, zkMigrationReady: true })
  // error 0, compact empty array (1), throttle 0, tagged: count 1, tag 3, size 1, true
  assert.deepEqual([...w.toBuffer()], [0, 0, 1, 0, 0, 0, 0, 1, 3, 1, 1])
  const back = generated.apiVersionsResponse.decodeApiVersionsResponse(new Reader(w.toBuffer()), 3)
  assert.equal(back.zkMigrationReady, true)
  assert.equal(back.finalizedFeaturesEpoch, -1, 'absent tagged field takes its default')
})

test('hostile input: truncation and impossible lengths raise DecodeError before allocating', () => {
  const meta = generated.metadataRequest
  const cases: Buffer[] = [
    Buffer.from([]),
    Buffer.from([0x7f, 0xff, 0xff, 0xff]), // 2 billion topics in a 4-byte buffer
    Buffer.from([0x00, 0x00, 0x00, 0x01, 0x7f, 0xff]), // string longer than the frame
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) // varint that never ends (flexible)
  ]
  for (const [i, b] of cases.entries()) {
    assert.throws(() => meta.decodeMetadataRequest(new Reader(b), i === 3 ? 12 : 4), DecodeError, `case ${i}`)
  }
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff])).readString(false), DecodeError, 'length -1 is null only for nullable reads')
  assert.equal(new Reader(Buffer.from([0xff, 0xff])).readNullableString(false), null)
})

test('int64 and varint edge values round-trip', () => {
  const values = [0, -1, -2, 1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 1732252800123]
  const w = new Writer()
  for (const v of values) { w.writeInt64(v); w.writeVarlong(v) }
  for (const v of [0, -1, 1, 63, -64, 2 ** 31 - 1, -(2 ** 31)]) w.writeVarint(v)
  const r = new Reader(w.toBuffer())
  for (const v of values) { assert.equal(r.readInt64(), v); assert.equal(r.readVarlong(), v) }
  for (const v of [0, -1, 1, 63, -64, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(r.readVarint(), v)
})

test('large byte strings are carried by reference, not copied', () => {
  const big = Buffer.alloc(64 * 1024, 7)
  const w = new Writer()
  w.writeInt32(1)
  w.writeNullableBytes(big, true)
  w.writeInt32(2)
  assert.ok(w.toChunks().includes(big))
  assert.equal(w.length, 4 + 3 + big.length + 4)
})

