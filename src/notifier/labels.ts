/**
 * Label sets, the identity of an alert, and the two textual forms Alertmanager derives from them.
 * Alertmanager is written in Go, so wherever its output depends on string order or quoting, this
 * module reproduces Go's rules (byte-wise UTF-8 order, `%q` quoting) rather than JavaScript's.
 */

/** Label name → value. Labels identify an alert; annotations (same shape) only describe it. */
export type LabelSet = Readonly<Record<string, string>>

// Alertmanager 0.25 (the version tests run against) accepts only classic Prometheus names.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

export function isValidLabelName (name: string): boolean {
  return LABEL_NAME.test(name)
}

/**
 * Orders strings by their UTF-8 bytes, as Go compares strings. JavaScript compares UTF-16 code
 * units, which disagrees for characters beyond U+FFFF against U+E000–U+FFFF; comparing the code
 * points at the first difference agrees with UTF-8 byte order.
 */
export function compareUtf8 (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! - b.codePointAt(i)!
  }
  return a.length - b.length
}

/** Label names in Go's order (the order fingerprints and matcher keys are built in). */
export function sortedNames (labels: LabelSet): string[] {
  return Object.keys(labels).sort(compareUtf8)
}

// Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space only.
// (Unicode versions differ slightly between Go and V8 for newly assigned characters.)
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u
const SHORT_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' }

/** Go's `%q` form of a string (strconv.Quote), used by Alertmanager's textual label sets. */
export function goQuote (s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === '"' || ch === '\\') out += '\\' + ch
    else if (PRINTABLE.test(ch)) out += ch
    else if (SHORT_ESCAPES[cp] !== undefined) out += SHORT_ESCAPES[cp]
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2)
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd' // not valid UTF-8: Go's decoder would have made it U+FFFD
    else if (cp < 0x10000) out += '\\u' + hex(cp, 4)
    else out += '\\U' + hex(cp, 8)
  }
  return out + '"'
}

function hex (n: number, width: number): string {
  return n.toString(16).padStart(width, '0')
}

/**
 * The text form of a label set as Alertmanager 0.25 prints it inside group keys:
 * `{alertname="X", namespace="shop"}`. The `name="value"` pairs are sorted as whole strings,
 * not by name, so `a1="…"` comes before `a="…"` ('1' sorts before '='): checked against the real
 * Alertmanager in test/notifier-alertmanager.test.ts.
 */
export function labelSetString (labels: LabelSet): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}=${goQuote(value)}`)
  return `{${pairs.sort(compareUtf8).join(', ')}}`
}

/** Replaces lone UTF-16 surrogates with U+FFFD, as Go's JSON decoder does with invalid input. */
export function wellFormed (s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}
