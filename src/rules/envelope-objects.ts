/**
 * The `kubernetes` / `labels` objects of records, parsed once per distinct text for the envelope
 * scan (envelope-scan.ts): they repeat for every record of a pod. The last few are also found by
 * their bytes, which spares the scan both their check and a string of them.
 */

/** Distinct object texts kept parsed (one per pod, typically). */
const OBJECT_CACHE_SIZE = 1000

export interface CachedObject { value: unknown, bytes: Buffer, labelsByStream: Map<string | undefined, Readonly<Record<string, string>>> }
const objects = new Map<string, CachedObject>()
/** The objects of the last few pods, most recent first, looked for by their bytes. */
const recent: CachedObject[] = []
const RECENT = 8

export function cachedObject (b: Buffer, s: number, e: number): CachedObject {
  // latin1 maps bytes to characters one to one: equal keys, equal bytes. The parsed objects are
  // only read (documentLabels copies what it takes), so records of one pod can share one.
  const key = b.toString('latin1', s, e)
  let v = objects.get(key)
  if (v === undefined) {
    if (objects.size >= OBJECT_CACHE_SIZE) objects.clear()
    objects.set(key, v = { value: JSON.parse(b.toString('utf8', s, e)), bytes: Buffer.from(b.subarray(s, e)), labelsByStream: new Map() })
  }
  remember(v)
  return v
}

function remember (v: CachedObject): void {
  const i = recent.indexOf(v)
  if (i === 0) return
  if (i > 0) recent.splice(i, 1)
  else if (recent.length >= RECENT) recent.pop()
  recent.unshift(v)
}

/** A recent object whose bytes are those at b[s…] (then it ends where they do), or undefined. */
export function recentObject (b: Buffer, s: number): CachedObject | undefined {
  for (let i = 0; i < recent.length; i++) {
    const v = recent[i]
    const n = v.bytes.length
    if (s + n <= b.length && b[s + n - 1] === 0x7d && b.compare(v.bytes, 0, n, s, s + n) === 0) {
      if (i > 0) remember(v)
      return v
    }
  }
  return undefined
}
