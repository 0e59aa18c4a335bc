// Summaries of a V8 CPU profile (node --cpu-prof) for bench/RESULTS.md: where a replica's time
// went during the measured window, by part of the program and by function (self time).
import fs from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }
interface Profile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

export interface ProfileSummary {
  /** Milliseconds of samples inside the window. */
  sampledMs: number
  parts: { name: string, share: number }[]
  functions: { name: string, share: number }[]
}

/** The part of the program a frame belongs to, as RESULTS.md groups them. */
function partOf (url: string, fn: string): string {
  if (url === '') {
    if (fn === '(idle)') return 'idle (waiting for the broker)'
    if (fn === '(garbage collector)') return 'garbage collection'
    return 'native (Buffer, JSON, regex, program)'
  }
  // The WebAssembly decoders: lz4 and snappy (@platformatic/wasm-utils), zstd on Node 20 (zstddec).
  if (url.startsWith('wasm://') || url.includes('/node_modules/@platformatic/wasm-utils/') || url.includes('/node_modules/zstddec/')) return 'decompression (WebAssembly)'
  if (url.includes('/node_modules/@platformatic/')) return '@platformatic/kafka'
  if (url.includes('/node_modules/fzstd/')) return 'zstd decompression (fzstd)'
  if (url.includes('/node_modules/')) return 'other dependencies'
  if (url.startsWith('node:')) return 'Node.js internals (streams, sockets, timers)'
  if (url.includes('/src/kafka/') || url.includes('/src/protocol/')) return 'Tidewatch consumer (src/kafka, src/protocol)'
  if (url.includes('/src/functions/')) return 'replica (src/functions)'
  if (url.includes('/src/rules/runtime/')) return 'rules runtime (src/rules/runtime)'
  if (url.includes('/src/rules/')) return 'rules engine (src/rules)'
  return 'handler and other code'
}

function shortUrl (url: string): string {
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length)
  const src = url.search(/\/(src|bench|examples)\//)
  return src >= 0 ? url.slice(src + 1) : url
}

/**
 * Self time per part and per function, over the samples taken between `fromUs` and `toUs`
 * (CLOCK_MONOTONIC microseconds, as process.hrtime gives them; V8 stamps samples on the same
 * clock), or the whole profile when no sample falls in that window.
 */
export function summarizeProfile (file: string, window?: { fromUs: number, toUs: number }, top = Number(process.env.BENCH_PROFILE_TOP ?? 8)): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(p.nodes.map(n => [n.id, n]))
  const collect = (inWindow: (t: number) => boolean): Map<number, number> => {
    const self = new Map<number, number>()
    let t = p.startTime
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0
      t += dt
      if (inWindow(t)) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt)
    }
    return self
  }
  let self = window === undefined ? collect(() => true) : collect(t => t >= window.fromUs && t <= window.toUs)
  if (self.size === 0) self = collect(() => true)
  const parts = new Map<string, number>()
  const fns = new Map<string, number>()
  let total = 0
  for (const [id, us] of self) {
    const cf = nodes.get(id)!.callFrame
    total += us
    const part = partOf(cf.url, cf.functionName)
    parts.set(part, (parts.get(part) ?? 0) + us)
    const name = cf.url === '' ? cf.functionName : `${cf.functionName === '' ? '(anonymous)' : cf.functionName} (${shortUrl(cf.url)}:${cf.lineNumber + 1})`
    fns.set(name, (fns.get(name) ?? 0) + us)
  }
  const ranked = (m: Map<string, number>, n: number): { name: string, share: number }[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, share: total === 0 ? 0 : us / total }))
  return { sampledMs: total / 1000, parts: ranked(parts, 10), functions: ranked(fns, top) }
}

/** One line per summary for a markdown table cell or a list. */
export function formatSummary (s: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`
  return `${s.parts.filter(p => p.share >= 0.02).map(p => `${p.name} ${pct(p.share)}`).join(', ')}; top functions: ${s.functions.slice(0, Number(process.env.BENCH_PROFILE_TOP ?? 5)).map(f => `${f.name} ${pct(f.share)}`).join(', ')}`
}
