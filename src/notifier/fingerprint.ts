/**
 * Alert fingerprints and aggregation-group keys, computed exactly as Alertmanager does, so an
 * alert has the same id in Tidewatch, in a real Alertmanager and in every webhook payload.
 *
 * Fingerprint: FNV-1a 64 over the labels sorted by name, each as `name 0xFF value 0xFF` (UTF-8),
 * printed as 16 lower-case hex digits; annotations and timestamps are not part of it.
 */
import { labelSetString, sortedNames, type LabelSet } from './labels.js'

const SEPARATOR = 0xff
// FNV-1a 64 offset basis 0xcbf29ce484222325, held as two 32-bit halves.
const OFFSET_HI = 0xcbf29ce4
const OFFSET_LO = 0x84222325

/**
 * 64-bit FNV-1a state in two unsigned 32-bit halves: plain numbers are several times faster than
 * BigInt, and a storm of alerts fingerprints every one of them.
 */
class Fnv1a64 {
  hi = OFFSET_HI
  lo = OFFSET_LO

  byte (b: number): void {
    this.lo = (this.lo ^ b) >>> 0
    // Multiply by the FNV prime 2^40 + 0x1b3: the 0x1b3 part with an exact carry (products stay
    // below 2^53), the 2^40 part is the low half shifted into the high half by 8 bits.
    const low = this.lo * 0x1b3
    const carry = Math.floor(low / 0x1_0000_0000)
    this.hi = (this.hi * 0x1b3 + carry + ((this.lo << 8) >>> 0)) >>> 0
    this.lo = low >>> 0
  }

  /** Feeds the UTF-8 encoding of `s` without allocating a buffer. */
  string (s: string): void {
    for (let i = 0; i < s.length; i++) {
      let cp = s.charCodeAt(i)
      if (cp < 0x80) { this.byte(cp); continue }
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
        const next = s.charCodeAt(i + 1)
        if (next >= 0xdc00 && next <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00); i++ }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd // lone surrogate: what Go's JSON decoder makes of it
      if (cp < 0x800) {
        this.byte(0xc0 | (cp >> 6)); this.byte(0x80 | (cp & 0x3f))
      } else if (cp < 0x10000) {
        this.byte(0xe0 | (cp >> 12)); this.byte(0x80 | ((cp >> 6) & 0x3f)); this.byte(0x80 | (cp & 0x3f))
      } else {
        this.byte(0xf0 | (cp >> 18)); this.byte(0x80 | ((cp >> 12) & 0x3f)); this.byte(0x80 | ((cp >> 6) & 0x3f)); this.byte(0x80 | (cp & 0x3f))
      }
    }
  }

  hex (): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0')
  }
}

/** The alert fingerprint of a label set: 16 hex digits (the empty set gives the offset basis). */
export function fingerprint (labels: LabelSet): string {
  const h = new Fnv1a64()
  for (const name of sortedNames(labels)) {
    h.string(name)
    h.byte(SEPARATOR)
    h.string(labels[name])
    h.byte(SEPARATOR)
  }
  return h.hex()
}

/**
 * The key of an aggregation group, `<route key>:<group labels>`, e.g.
 * `{}/{team="frontend"}:{alertname="X", namespace="shop"}`. It is the webhook payload's
 * `groupKey` and, with the receiver, the key of the notification log.
 */
export function groupKey (routeKey: string, groupLabels: LabelSet): string {
  return `${routeKey}:${labelSetString(groupLabels)}`
}
