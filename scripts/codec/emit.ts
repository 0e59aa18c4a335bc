import { type FieldSpec, type MessageSpec, type Range, covers, intersect, isEmpty } from './schema.js'

const NUMBER_READ: Record<string, string> = {
  int8: 'readInt8', int16: 'readInt16', uint16: 'readUInt16', int32: 'readInt32',
  uint32: 'readUInt32', int64: 'readInt64', float64: 'readFloat64'
}
const PRIMITIVES = new Set([...Object.keys(NUMBER_READ), 'bool', 'string', 'bytes', 'records', 'uuid'])

export const lowerFirst = (s: string): string => s[0].toLowerCase() + s.slice(1)
export const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
const isArray = (t: string): boolean => t.startsWith('[]')
const elem = (t: string): string => isArray(t) ? t.slice(2) : t
const isStruct = (t: string): boolean => !PRIMITIVES.has(elem(t))

interface Struct { name: string, fields: FieldSpec[] }

/** Generates one TypeScript codec module for one Kafka message definition. */
export class MessageEmitter {
  readonly #m: MessageSpec
  readonly #structs: Struct[] = []

  constructor (m: MessageSpec) {
    this.#m = m
    this.#collect(m.name, m.fields)
  }

  #collect (name: string, fields: FieldSpec[]): void {
    if (this.#structs.some(s => s.name === name)) return
    this.#structs.push({ name, fields })
    for (const f of fields) {
      if (!isStruct(f.type)) continue
      const sub = f.fields ?? this.#m.commonStructs.get(elem(f.type))
      if (sub === undefined) throw new Error(`${this.#m.name}.${f.name}: unknown struct type ${f.type}`)
      this.#collect(elem(f.type), sub)
    }
  }

  /** A condition on `version` for the range, simplified against the message's valid versions. */
  #cond (r: Range): string {
    const v = this.#m.valid
    const eff = intersect(r, v)
    if (isEmpty(eff)) return 'false'
    const parts: string[] = []
    if (eff.min > v.min) parts.push(`version >= ${eff.min}`)
    if (eff.max < v.max) parts.push(`version <= ${eff.max}`)
    return parts.length === 0 ? 'true' : parts.join(' && ')
  }

  #compact (f: FieldSpec): string {
    return f.flexible === null ? 'flexible' : this.#cond(f.flexible)
  }

  #nullableCond (f: FieldSpec): string {
    const n = intersect(f.nullable, f.versions)
    if (isEmpty(n)) return 'false'
    if (covers(n, intersect(f.versions, this.#m.valid))) return 'true'
    return this.#cond(n)
  }

  #everNullable (f: FieldSpec): boolean {
    return f.type === 'records' || !isEmpty(intersect(f.nullable, f.versions))
  }

  #elemTs (t: string): string {
    const e = elem(t)
    if (e === 'bool') return 'boolean'
    if (e in NUMBER_READ) return 'number'
    if (e === 'string' || e === 'uuid') return 'string'
    if (e === 'bytes' || e === 'records') return 'Buffer'
    return e
  }

  #tsType (f: FieldSpec, input: boolean): string {
    const base = this.#elemTs(f.type) + (input && isStruct(f.type) ? 'Input' : '')
    const t = isArray(f.type) ? `${base}[]` : base
    return this.#everNullable(f) ? `${t} | null` : t
  }

  #default (f: FieldSpec): string {
    const d = f.default
    const nullDefault = d === 'null' && this.#everNullable(f)
    if (isArray(f.type)) return nullDefault ? 'null' : '[]'
    if (isStruct(f.type)) return `default${f.type}()`
    switch (f.type) {
      case 'bool': return d === 'true' ? 'true' : 'false'
      case 'string': return nullDefault ? 'null' : JSON.stringify(d ?? '')
      case 'bytes': return nullDefault ? 'null' : 'EMPTY_BUFFER'
      case 'records': return 'null'
      case 'uuid': return 'ZERO_UUID'
      default: return d === undefined ? '0' : String(Number(d))
    }
  }

  #readElem (t: string, compact: string): string {
    const e = elem(t)
    if (e in NUMBER_READ) return `r.${NUMBER_READ[e]}()`
    if (e === 'bool') return 'r.readBoolean()'
    if (e === 'string') return `r.readString(${compact})`
    if (e === 'bytes') return `r.readBytes(${compact})`
    if (e === 'uuid') return 'r.readUuid()'
    return `decode${e}(r, version)`
  }

  #read (f: FieldSpec): string {
    const c = this.#compact(f)
    const n = this.#nullableCond(f)
    if (isArray(f.type)) return `readArray(r, ${c}, ${n}, () => ${this.#readElem(f.type, c)})`
    switch (f.type) {
      case 'string': return n === 'false' ? `r.readString(${c})` : n === 'true' ? `r.readNullableString(${c})` : `(${n}) ? r.readNullableString(${c}) : r.readString(${c})`
      case 'bytes': return n === 'false' ? `r.readBytes(${c})` : n === 'true' ? `r.readNullableBytes(${c})` : `(${n}) ? r.readNullableBytes(${c}) : r.readBytes(${c})`
      case 'records': return `r.readNullableBytes(${c})`
      default: return this.#readElem(f.type, c)
    }
  }

  #writeElem (t: string, x: string, compact: string, w: string): string {
    const e = elem(t)
    const method: Record<string, string> = { int8: 'writeInt8', int16: 'writeInt16', uint16: 'writeUInt16', int32: 'writeInt32', uint32: 'writeUInt32', int64: 'writeInt64', float64: 'writeFloat64' }
    if (e in method) return `${w}.${method[e]}(${x})`
    if (e === 'bool') return `${w}.writeBoolean(${x})`
    if (e === 'string') return `${w}.writeString(${x}, ${compact})`
    if (e === 'bytes') return `${w}.writeBytes(${x}, ${compact})`
    if (e === 'uuid') return `${w}.writeUuid(${x})`
    return `encode${e}(${w}, version, ${x})`
  }

  #write (f: FieldSpec, x: string, w: string): string {
    const c = this.#compact(f)
    const n = this.#nullableCond(f)
    if (isArray(f.type)) return `writeArray(${w}, ${c}, ${n}, ${x}, e => ${this.#writeElem(f.type, 'e', c, w)})`
    // A null given for a version where the field is not nullable is written as the empty value.
    const orEmpty = (empty: string): string => this.#everNullable(f) ? `${x} ?? ${empty}` : x
    switch (f.type) {
      case 'string':
        if (n === 'false') return `${w}.writeString(${orEmpty("''")}, ${c})`
        if (n === 'true') return `${w}.writeNullableString(${x}, ${c})`
        return `if (${n}) ${w}.writeNullableString(${x}, ${c}); else ${w}.writeString(${orEmpty("''")}, ${c})`
      case 'bytes':
        if (n === 'false') return `${w}.writeBytes(${orEmpty('EMPTY_BUFFER')}, ${c})`
        if (n === 'true') return `${w}.writeNullableBytes(${x}, ${c})`
        return `if (${n}) ${w}.writeNullableBytes(${x}, ${c}); else ${w}.writeBytes(${orEmpty('EMPTY_BUFFER')}, ${c})`
      case 'records': return `${w}.writeNullableBytes(${x}, ${c})`
      default: return this.#writeElem(f.type, x, c, w)
    }
  }

  /** True when a tagged field's value would be the default and can be left out. */
  #isDefault (f: FieldSpec, x: string): string {
    if (isStruct(f.type) && !isArray(f.type)) return `${x} === undefined`
    if (isArray(f.type)) return this.#default(f) === 'null' ? `${x} === null` : `${x} === null || ${x}.length === 0`
    if (f.type === 'bytes') return `${x} === null || ${x}.length === 0`
    return `${x} === ${this.#default(f)}`
  }

  #struct (s: Struct, top: boolean): string {
    const name = s.name
    const exported = 'export '
    const regular = s.fields.filter(f => f.tag === null)
    const tagged = s.fields.filter(f => f.tag !== null)
    const flexCond = this.#cond(this.#m.flexible)
    const out: string[] = []
    out.push(`${exported}interface ${name} {`)
    for (const f of s.fields) out.push(`  ${lowerFirst(f.name)}: ${this.#tsType(f, false)}`)
    out.push('}', '')
    out.push(`${exported}interface ${name}Input {`)
    for (const f of s.fields) out.push(`  ${lowerFirst(f.name)}?: ${this.#tsType(f, true)}`)
    out.push('}', '')
    if (!top) {
      out.push(`function default${name} (): ${name} {`)
      out.push(`  return { ${s.fields.map(f => `${lowerFirst(f.name)}: ${this.#default(f)}`).join(', ')} }`)
      out.push('}', '')
    }
    // Decoder.
    out.push(`${top ? 'export ' : ''}function decode${name} (r: Reader, version: number): ${name} {`)
    out.push(`  const flexible = ${flexCond}`)
    for (const f of s.fields) {
      const local = `f_${lowerFirst(f.name)}`
      const cond = this.#cond(f.versions)
      if (f.tag !== null) out.push(`  let ${local}: ${this.#tsType(f, false)} = ${this.#default(f)}`)
      else if (cond === 'true') out.push(`  const ${local}: ${this.#tsType(f, false)} = ${this.#read(f)}${isArray(f.type) && !this.#everNullable(f) ? '!' : ''}`)
      else {
        out.push(`  let ${local}: ${this.#tsType(f, false)} = ${this.#default(f)}`)
        if (cond !== 'false') out.push(`  if (${cond}) ${local} = ${this.#read(f)}${isArray(f.type) && !this.#everNullable(f) ? '!' : ''}`)
      }
    }
    if (tagged.length === 0) {
      out.push('  if (flexible) r.skipTaggedFields()')
    } else {
      out.push('  if (flexible) {')
      out.push('    readTaggedFields(r, tag => {')
      out.push('      switch (tag) {')
      for (const f of tagged) {
        const cond = this.#cond(intersect(f.tagged, f.versions))
        out.push(`        case ${f.tag}: if (${cond}) f_${lowerFirst(f.name)} = ${this.#read(f)}${isArray(f.type) && !this.#everNullable(f) ? '!' : ''}; break`)
      }
      out.push('      }')
      out.push('    })')
      out.push('  }')
    }
    out.push(`  return { ${s.fields.map(f => `${lowerFirst(f.name)}: f_${lowerFirst(f.name)}`).join(', ')} }`)
    out.push('}', '')
    // Encoder.
    out.push(`${top ? 'export ' : ''}function encode${name} (w: Writer, version: number, v: ${name}Input): void {`)
    out.push(`  const flexible = ${flexCond}`)
    for (const f of regular) {
      const cond = this.#cond(f.versions)
      if (cond === 'false') continue
      // Only undefined takes the default: null is a value for nullable fields (e.g. "all topics").
      const x = this.#everNullable(f) ? `(v.${lowerFirst(f.name)} === undefined ? ${this.#default(f)} : v.${lowerFirst(f.name)})` : `(v.${lowerFirst(f.name)} ?? ${this.#default(f)})`
      const stmt = this.#write(f, x, 'w')
      out.push(cond === 'true' ? `  ${stmt}` : `  if (${cond}) { ${stmt} }`)
    }
    if (tagged.length === 0) {
      out.push('  if (flexible) w.writeEmptyTaggedFields()')
    } else {
      out.push('  if (flexible) {')
      out.push('    const tagged: [number, Writer][] = []')
      for (const f of tagged) {
        const cond = this.#cond(intersect(f.tagged, f.versions))
        const x = `v.${lowerFirst(f.name)}`
        const val = isStruct(f.type) && !isArray(f.type) ? x : this.#everNullable(f) ? `(${x} === undefined ? ${this.#default(f)} : ${x})` : `(${x} ?? ${this.#default(f)})`
        out.push(`    if (${cond}) {`)
        out.push(`      const x = ${val}`)
        out.push(`      if (!(${this.#isDefault(f, 'x')})) { const tw = newWriter(); ${this.#write(f, 'x', 'tw')}; tagged.push([${f.tag}, tw]) }`)
        out.push('    }')
      }
      out.push('    writeTaggedFields(w, tagged)')
      out.push('  }')
    }
    out.push('}', '')
    return out.join('\n')
  }

  emit (header: string): string {
    const m = this.#m
    const used = new Set<string>()
    const bodies = this.#structs.map((s, i) => this.#struct(s, i === 0)).join('\n')
    for (const name of ['readArray', 'writeArray', 'readTaggedFields', 'writeTaggedFields', 'newWriter', 'EMPTY_BUFFER', 'ZERO_UUID']) {
      if (new RegExp(`\\b${name}\\b`).test(bodies)) used.add(name)
    }
    const lines = [header, '/* eslint-disable */']
    lines.push("import type { Reader } from '../reader.js'")
    lines.push(`import ${/\bnew Writer\b|: \[number, Writer\]/.test(bodies) ? '' : 'type '}{ Writer } from '../writer.js'`)
    if (used.size > 0) lines.push(`import { ${[...used].join(', ')} } from '../codec-runtime.js'`)
    lines.push('')
    const flexibleFrom = isEmpty(m.flexible) ? -1 : m.flexible.min
    lines.push(`export const ${lowerFirst(m.name)}Meta = { apiKey: ${m.apiKey}, validVersions: [${m.valid.min}, ${m.valid.max}], flexibleFrom: ${flexibleFrom} } as const`)
    lines.push('')
    lines.push(bodies)
    return lines.join('\n')
  }
}
