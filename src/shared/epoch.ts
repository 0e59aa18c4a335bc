/**
 * A record's own time, as log shippers write it, in epoch milliseconds: RFC 3339 / ISO 8601
 * strings and epoch numbers. Used by log ingest and by rule evaluation, so both read a record's
 * time the same way.
 */

// Numbers are read by magnitude: Fluent Bit's `double` and `epoch` formats are seconds,
// `epoch_ms` milliseconds; micro- and nanoseconds also occur in the wild.
export function toEpochMs (v: unknown): number | null {
  let ms: number
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v))) {
    const n = Number(v)
    const abs = Math.abs(n)
    ms = abs < 1e11 ? n * 1e3 : abs < 1e14 ? n : abs < 1e17 ? n / 1e3 : n / 1e6
  } else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) {
    // ISO 8601 and java_sql_timestamp ("2024-11-22 05:20:00.123456"); no zone means UTC.
    const iso = v.replace(' ', 'T')
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : iso + 'Z')
  } else return null
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) return null
  return Math.floor(ms)
}
