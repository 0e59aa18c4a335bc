// Dotted paths into a record's JSON value (`kubernetes.namespace_name`). Kubernetes label keys
// contain dots themselves (`app.kubernetes.io/name`), so at each level the longest key that
// matches wins: `kubernetes.labels.app.kubernetes.io/name` finds that label.

/** The value at `path` in `doc`, or undefined. */
export function valueAtPath (doc: unknown, path: string): unknown {
  return lookup(doc, path.split('.'), 0)
}

function lookup (node: unknown, parts: string[], from: number): unknown {
  if (from === parts.length) return node
  if (node === null || typeof node !== 'object') return undefined
  const obj = node as Record<string, unknown>
  for (let to = parts.length; to > from; to--) {
    const key = to === from + 1 ? parts[from] : parts.slice(from, to).join('.')
    if (Object.prototype.hasOwnProperty.call(obj, key)) {
      const found = lookup(obj[key], parts, to)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/**
 * Field equality as a user means it: strings compare as they are, numbers and booleans by their
 * text (`status=404` matches 404 and "404"), null by `null`. Objects and arrays never match.
 */
export function fieldEquals (value: unknown, expected: string): boolean {
  if (typeof value === 'string') return value === expected
  if (typeof value === 'number' || typeof value === 'boolean') return String(value) === expected
  if (value === null) return expected === 'null'
  return false
}

/** Parses a record value as JSON; undefined when it is not JSON (plain-text logs). */
export function parseJsonValue (value: string | null): unknown {
  if (value === null) return undefined
  const c = value.charCodeAt(0)
  // Only objects and arrays are worth parsing; anything else cannot hold a dotted path.
  if (c !== 0x7b && c !== 0x5b && !/^\s*[{[]/.test(value)) return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

/** The pod a Fluent Bit record came from (namespace and name), or null. */
export function podOf (doc: unknown): { namespace: string | null, pod: string } | null {
  const pod = valueAtPath(doc, 'kubernetes.pod_name')
  if (typeof pod !== 'string' || pod === '') return null
  const namespace = valueAtPath(doc, 'kubernetes.namespace_name')
  return { namespace: typeof namespace === 'string' ? namespace : null, pod }
}
