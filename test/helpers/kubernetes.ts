// What a Kubernetes API server would say about rendered manifests, without one: KEDA's own CRD
// schemas (vendor/keda-crds) for its objects, and the rules the API server applies to a core/v1
// Secret (object names, key names, base64 data, the 1 MiB limit) and to a pod's references
// (every mount has a volume, every secretKeyRef and secret volume item names a key that exists).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { parse } from 'yaml'

// Compiled to dist-test/test/helpers/; the repository root is three levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

type Obj = Record<string, any>

/** Problems KEDA's CRD schema finds in `manifest` (a ScaledObject or a TriggerAuthentication); [] when valid. */
export function kedaProblems (manifest: unknown): string[] {
  const kind = (manifest as Obj)?.kind
  const file = kind === 'ScaledObject' ? 'keda.sh_scaledobjects.yaml' : kind === 'TriggerAuthentication' ? 'keda.sh_triggerauthentications.yaml' : null
  if (file === null) return [`kind ${String(kind)} is not a KEDA kind`]
  const crd = parse(fs.readFileSync(path.join(root, 'vendor', 'keda-crds', file), 'utf8'))
  const version = crd.spec.versions.find((v: { served: boolean, storage: boolean }) => v.served && v.storage)
  const ajv = new Ajv({ strict: false, allErrors: true })
  // Formats Kubernetes' OpenAPI schemas use, checked as the API server checks them.
  ajv.addFormat('int32', { type: 'number', validate: n => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 })
  ajv.addFormat('int64', { type: 'number', validate: n => Number.isSafeInteger(n) })
  ajv.addFormat('date-time', { type: 'string', validate: s => !Number.isNaN(Date.parse(s)) })
  const validate = ajv.compile(version.schema.openAPIV3Schema)
  const problems = validate(manifest) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message ?? ''}`)
  if ((manifest as Obj).apiVersion !== `${String(crd.spec.group)}/${String(version.name)}`) problems.push(`apiVersion ${String((manifest as Obj).apiVersion)} is not ${String(crd.spec.group)}/${String(version.name)}`)
  return problems
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
/** The API server's limit on a Secret's data (keys and values). */
export const SECRET_MAX_BYTES = 1024 * 1024

function metadataProblems (m: Obj): string[] {
  const problems: string[] = []
  const name = m.metadata?.name
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) problems.push(`metadata.name '${String(name)}' is not a DNS subdomain`)
  const ns = m.metadata?.namespace
  if (ns !== undefined && (typeof ns !== 'string' || ns.length > 63 || !DNS_LABEL.test(ns))) problems.push(`metadata.namespace '${String(ns)}' is not a DNS label`)
  for (const [k, v] of Object.entries(m.metadata?.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`label ${k}: '${String(v)}' is not a label value`)
  }
  return problems
}

/** What the API server would refuse in a core/v1 Secret; [] when it would take it. */
export function secretProblems (m: Obj): string[] {
  const problems = metadataProblems(m)
  if (m.apiVersion !== 'v1' || m.kind !== 'Secret') problems.push(`not a v1 Secret: ${String(m.apiVersion)} ${String(m.kind)}`)
  for (const k of Object.keys(m)) if (!['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'immutable'].includes(k)) problems.push(`unknown field ${k}`)
  if (m.type !== undefined && typeof m.type !== 'string') problems.push('type is not a string')
  let bytes = 0
  const keys = new Set<string>()
  for (const field of ['data', 'stringData'] as const) {
    for (const [k, v] of Object.entries(m[field] ?? {})) {
      if (k.length > 253 || !SECRET_KEY.test(k) || k === '.' || k === '..') problems.push(`${field}: key '${k}' is not a valid Secret key`)
      if (typeof v !== 'string') { problems.push(`${field}.${k} is not a string`); continue }
      if (field === 'data' && !BASE64.test(v)) problems.push(`data.${k} is not base64`)
      if (!keys.has(k)) bytes += k.length + (field === 'data' ? Buffer.from(v, 'base64').length : Buffer.byteLength(v))
      keys.add(k)
    }
  }
  if (bytes > SECRET_MAX_BYTES) problems.push(`data is ${bytes} bytes, over the ${SECRET_MAX_BYTES}-byte limit`)
  return problems
}

/** The keys a Secret will hold once the API server has merged stringData into data. */
export function secretKeys (m: Obj): string[] {
  return [...new Set([...Object.keys(m.data ?? {}), ...Object.keys(m.stringData ?? {})])]
}

/**
 * What would keep a pod from starting: a mount without its volume, an env entry or a secret
 * volume item naming a Secret or key that is not among `secrets`, a mode outside 0-0777.
 */
export function podProblems (pod: Obj, secrets: Obj[]): string[] {
  const problems: string[] = []
  const keysOf = (name: string): string[] | null => { const s = secrets.find(x => x.metadata.name === name); return s === undefined ? null : secretKeys(s) }
  const volumes = new Map<string, Obj>((pod.volumes ?? []).map((v: Obj) => [v.name, v]))
  if (volumes.size !== (pod.volumes ?? []).length) problems.push('volume names are not unique')
  for (const v of volumes.values()) {
    if (v.secret === undefined) continue
    const keys = keysOf(v.secret.secretName)
    if (keys === null) { problems.push(`volume ${String(v.name)}: no Secret ${String(v.secret.secretName)}`); continue }
    for (const item of v.secret.items ?? []) {
      if (!keys.includes(item.key)) problems.push(`volume ${String(v.name)}: Secret ${String(v.secret.secretName)} has no key ${String(item.key)}`)
      if (path.isAbsolute(item.path) || item.path.split('/').includes('..')) problems.push(`volume ${String(v.name)}: item path ${String(item.path)} must be relative`)
    }
    const mode = v.secret.defaultMode
    if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) problems.push(`volume ${String(v.name)}: defaultMode ${String(mode)} is not 0-0777`)
  }
  for (const c of pod.containers ?? []) {
    const paths = new Set<string>()
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) problems.push(`container ${String(c.name)}: mount ${String(m.name)} has no volume`)
      if (paths.has(m.mountPath)) problems.push(`container ${String(c.name)}: two mounts at ${String(m.mountPath)}`)
      paths.add(m.mountPath)
    }
    const names = new Set<string>()
    for (const e of c.env ?? []) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) problems.push(`container ${String(c.name)}: env name '${String(e.name)}'`)
      if (names.has(e.name)) problems.push(`container ${String(c.name)}: env ${String(e.name)} twice`)
      names.add(e.name)
      if ((e.value === undefined) === (e.valueFrom === undefined)) problems.push(`container ${String(c.name)}: env ${String(e.name)} needs exactly one of value and valueFrom`)
      const ref = e.valueFrom?.secretKeyRef
      if (ref !== undefined && !(keysOf(ref.name) ?? []).includes(ref.key)) problems.push(`container ${String(c.name)}: env ${String(e.name)} refers to ${String(ref.name)}/${String(ref.key)}, which is not rendered`)
    }
    for (const f of c.envFrom ?? []) if (f.secretRef !== undefined && keysOf(f.secretRef.name) === null) problems.push(`container ${String(c.name)}: envFrom Secret ${String(f.secretRef.name)} is not rendered`)
  }
  return problems
}

/** A TriggerAuthentication's secretTargetRef entries that name a Secret or key not among `secrets`. */
export function triggerAuthProblems (auth: Obj, secrets: Obj[]): string[] {
  return (auth.spec?.secretTargetRef ?? []).flatMap((r: Obj) => {
    const s = secrets.find(x => x.metadata.name === r.name)
    return s !== undefined && secretKeys(s).includes(r.key) ? [] : [`parameter ${String(r.parameter)}: ${String(r.name)}/${String(r.key)} is not rendered`]
  })
}
