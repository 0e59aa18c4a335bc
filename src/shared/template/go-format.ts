/**
 * Go's number and fmt formatting, for templates whose users expect Go's output: Prometheus'
 * `{{ $value }}` prints a float64 as %v (1e+06, 0.05), `{{ printf "%.2f" $value }}`,
 * `humanize`, and LogQL's line_format `printf "%-40.40s"`. Only the verbs and flags rule
 * templates use are implemented; others print as Go does for a bad verb (%!z(…)).
 */

/** A float64 as Go's %v prints it: the shortest digits, in exponent form below 1e-4 and from 1e+06. */
export function goFloat (n: number): string {
  return formatG(n, -1)
}

/** %g with `precision` significant digits (-1: the shortest that reads back exactly). */
export function formatG (n: number, precision: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  if (n === 0) return Object.is(n, -0) ? '-0' : '0'
  const exp = precision < 0 ? n.toExponential() : n.toExponential(Math.max(0, Math.min(precision, 100) - 1))
  const m = /^(-?)(\d)(?:\.(\d+))?e([-+]\d+)$/.exec(exp)!
  const digits = (m[2] + (m[3] ?? '')).replace(/0+$/, '') || '0'
  const e = Number(m[4])
  // Go: the shortest form switches to an exponent at 1e+06 (precision 6 for the decision).
  const eprec = precision < 0 ? 6 : precision === 0 ? 1 : precision
  if (e < -4 || e >= eprec) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    return `${m[1]}${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  }
  if (e < 0) return `${m[1]}0.${'0'.repeat(-e - 1)}${digits}`
  const int = digits.slice(0, e + 1).padEnd(e + 1, '0')
  const frac = digits.slice(e + 1)
  return `${m[1]}${int}${frac !== '' ? '.' + frac : ''}`
}

function formatE (n: number, precision: number): string {
  if (!Number.isFinite(n)) return goFloat(n)
  const m = /^(-?\d(?:\.\d+)?)e([-+])(\d+)$/.exec(n.toExponential(precision))!
  return `${m[1]}e${m[2]}${m[3].padStart(2, '0')}`
}

function toNumber (v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(String(v))
}

function show (v: unknown): string {
  if (v === undefined || v === null) return '<nil>'
  if (typeof v === 'number') return goFloat(v)
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map(k => `${k}:${show((v as Record<string, unknown>)[k])}`).join(' ')}]`
  return String(v)
}

/** Go's fmt.Sprintf for the verbs %v %s %q %d %f %F %e %g %x %X %t %%, with flags - + 0 space, width and precision. */
export function sprintf (format: string, ...args: unknown[]): string {
  let next = 0
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g, (whole, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%'
    if (next >= args.length) return `%!${verb}(MISSING)`
    const arg = args[next++]
    const p = prec === undefined ? undefined : prec === '' ? 0 : Number(prec)
    let out: string
    switch (verb) {
      case 'v': out = show(arg); break
      case 's': out = show(arg); if (p !== undefined) out = [...out].slice(0, p).join(''); break
      case 'q': out = JSON.stringify(show(arg)); break
      case 't': out = String(arg === true || arg === 'true'); break
      case 'd': { const n = toNumber(arg); out = Number.isFinite(n) ? BigInt(Math.trunc(n)).toString() : goFloat(n); break }
      case 'f': case 'F': { const n = toNumber(arg); out = Number.isFinite(n) ? n.toFixed(Math.min(p ?? 6, 100)) : goFloat(n); break }
      case 'e': out = formatE(toNumber(arg), Math.min(p ?? 6, 100)); break
      case 'g': out = formatG(toNumber(arg), p ?? -1); break
      case 'x': case 'X': {
        const s = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(show(arg)).toString('hex')
        out = verb === 'X' ? s.toUpperCase() : s
        break
      }
      default: return `%!${verb}(${show(arg)})`
    }
    const numeric = 'dfFegxX'.includes(verb!)
    if (numeric && flags.includes('+') && !out.startsWith('-')) out = '+' + out
    else if (numeric && flags.includes(' ') && !out.startsWith('-')) out = ' ' + out
    const w = width === undefined ? 0 : Number(width)
    const pad = w - [...out].length
    if (pad <= 0) return out
    if (flags.includes('-')) return out + ' '.repeat(pad)
    if (flags.includes('0') && numeric) {
      const sign = /^[-+ ]/.test(out) ? out[0] : ''
      return sign + '0'.repeat(pad) + out.slice(sign.length)
    }
    return ' '.repeat(pad) + out
  })
}

/** Prometheus' humanize: SI prefixes, 4 significant digits (1234567 → 1.235M, 0.0012 → 1.2m). */
export function humanize (v: unknown): string {
  let n = toNumber(v)
  if (n === 0 || !Number.isFinite(n)) return formatG(n, 4)
  let prefix = ''
  if (Math.abs(n) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) { if (Math.abs(n) < 1000) break; prefix = p; n /= 1000 }
  } else {
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) { if (Math.abs(n) >= 1) break; prefix = p; n *= 1000 }
  }
  return formatG(n, 4) + prefix
}

/** Prometheus' humanizeDuration: seconds as `1d 2h 3m 4s`, or ms/us/ns below a second. */
export function humanizeDuration (v: unknown): string {
  const n = toNumber(v)
  if (!Number.isFinite(n)) return formatG(n, 4)
  if (Math.abs(n) < 1) {
    if (n === 0) return '0s'
    for (const [unit, scale] of [['ms', 1e3], ['us', 1e6], ['ns', 1e9]] as const) {
      if (Math.abs(n * scale) >= 1 || unit === 'ns') return formatG(n * scale, 4) + unit
    }
  }
  const sign = n < 0 ? '-' : ''
  const a = Math.abs(n)
  const whole = Math.trunc(a)
  const days = Math.trunc(whole / 86400)
  const hours = Math.trunc(whole / 3600) % 24
  const minutes = Math.trunc(whole / 60) % 60
  const seconds = formatG(a % 60, 4)
  if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`
  if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`
  if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`
  return `${sign}${seconds}s`
}
