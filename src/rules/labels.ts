/**
 * Label sets as the engine passes them around: plain objects with sorted keys (serialisable, as
 * contributions and snapshots must be), and their canonical text `{a="x", b="y"}`, which is the
 * key of a series.
 */

export type LabelSet = Readonly<Record<string, string>>

/** A label set from entries, keys sorted; own properties only, so `__proto__` is just a name. */
export function labelSet (entries: Iterable<[string, string]>): LabelSet {
  return Object.fromEntries([...entries].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** `{a="x", b="y"}`, keys sorted, values escaped as in PromQL. */
export function labelsKey (labels: LabelSet): string {
  const keys = Object.keys(labels).sort()
  return `{${keys.map(k => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`
}

export function valueOf (labels: LabelSet, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined
}

/** Only the labels named in `names` (those present). */
export function pick (labels: LabelSet, names: readonly string[]): LabelSet {
  return labelSet(names.flatMap(n => Object.hasOwn(labels, n) && labels[n] !== '' ? [[n, labels[n]] as [string, string]] : []))
}

/** Every label but those named in `names`. */
export function omit (labels: LabelSet, names: readonly string[]): LabelSet {
  return labelSet(Object.entries(labels).filter(([k]) => !names.includes(k)))
}
