/**
 * Durations in Prometheus' format, as Alertmanager configs write them: `30s`, `5m`, `1h30m`,
 * `1d`, `500ms`. Units run from largest to smallest, each at most once; `0` alone is allowed.
 */

const UNITS = [
  ['y', 365 * 24 * 3_600_000],
  ['w', 7 * 24 * 3_600_000],
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1]
] as const

const FORMAT = new RegExp(`^${UNITS.map(([u]) => `(?:(\\d+)${u})?`).join('')}$`)

/** Milliseconds, or an Error saying what a valid duration looks like. */
export function parseDuration (text: string): number {
  if (text === '0') return 0
  const m = text === '' ? null : FORMAT.exec(text)
  if (m === null) throw new Error(`'${text}' is not a duration; write it like 30s, 5m, 1h30m or 1d`)
  let ms = 0
  UNITS.forEach(([, size], i) => { if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * size })
  if (!Number.isSafeInteger(ms)) throw new Error(`'${text}' is too long a duration`)
  return ms
}

/** The shortest Prometheus form of a duration in milliseconds: 90_000 → `1m30s`, 0 → `0s`. */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  let rest = ms
  let out = ''
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size)
    if (n > 0) { out += `${n}${unit}`; rest -= n * size }
  }
  return out
}
