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

/** Into the recent ones, in place of the last (the least used, as hits move theirs forward). */
function remember (v: CachedObject): void {
  if (recent.includes(v)) return
  if (recent.length < RECENT) recent.push(v)
  else recent[RECENT - 1] = v
}

/** A recent object whose bytes are those at b[s…] (then it ends where they do), or undefined. */
export function recentObject (b: Buffer, s: number): CachedObject | undefined {
  for (let i = 0; i < recent.length; i++) {
    const v = recent[i]
    const bytes = v.bytes
    const n = bytes.length
    // A few bytes looked at here first: most misses (another pod) end before the call into compare.
    if (s + n > b.length || b[s + n - 1] !== 0x7d || b[s + (n >> 1)] !== bytes[n >> 1] || b[s + n - 2] !== bytes[n - 2]) continue
    if (b.compare(bytes, 0, n, s, s + n) !== 0) continue
    // Moved one place forward: the pods seen most often end up looked at first.
    if (i > 0) { recent[i] = recent[i - 1]; recent[i - 1] = v }
    return v
  }
  return undefined
}
