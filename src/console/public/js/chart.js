// Inline SVG charts of a function's samples: replicas (a step line, left axis) against lag
// (a filled area, right axis), and a small records/s line. Drawn in a fixed coordinate space
// (viewBox) about as wide as the card, so the browser scales text only a little.
import { s, formatCount, formatRate } from './dom.js'

/** The window grows with the page's history, from one minute to five, in whole minutes. */
const MIN_WINDOW_MS = 60_000
const MAX_WINDOW_MS = 5 * 60_000
const W = 1040
const H = 220
const PAD = { left: 34, right: 50, top: 12, bottom: 26 }

function windowOf (samples, now) {
  const span = samples.length === 0 ? 0 : now - samples[0].at
  return Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(span / 60_000) * 60_000))
}

/** The smallest of 1, 2, 5 × 10^k at or above `n` (axis maxima that read well). */
function niceCeil (n) {
  if (n <= 1) return 1
  const p = 10 ** Math.floor(Math.log10(n))
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p
  return 10 * p
}

function scales (now, windowMs, yMaxLeft, yMaxRight) {
  const x = at => PAD.left + (W - PAD.left - PAD.right) * (1 - (now - at) / windowMs)
  const plotH = H - PAD.top - PAD.bottom
  const yl = v => PAD.top + plotH * (1 - v / yMaxLeft)
  const yr = v => PAD.top + plotH * (1 - v / yMaxRight)
  return { x, yl, yr }
}

/** A step path: the value holds until the next sample (replica counts change in steps). */
function stepPath (points) {
  return points.map(([x, y], i) => i === 0 ? `M${x.toFixed(1)},${y.toFixed(1)}` : `H${x.toFixed(1)}V${y.toFixed(1)}`).join('')
}

function linePath (points) {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('')
}

/** Replicas against lag for `samples` ({at, replicas, desired, lag}), oldest first. */
export function replicaLagChart (samples, { maxReplicas }) {
  const now = Date.now()
  const windowMs = windowOf(samples, now)
  const shown = samples.filter(p => p.at >= now - windowMs - 2000)
  // Even, so the middle grid line falls on a whole number of replicas.
  const peak = niceCeil(Math.max(0, ...shown.map(p => Math.max(p.replicas, p.desired))))
  const yMaxLeft = Math.max(2, peak % 2 === 0 ? peak : peak + 1)
  const yMaxRight = niceCeil(Math.max(10, ...shown.map(p => p.lag)))
  const { x, yl, yr } = scales(now, windowMs, yMaxLeft, yMaxRight)
  const bottom = H - PAD.bottom
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `replicas (0-${yMaxLeft}) against lag (0-${yMaxRight} records) over the last ${windowMs / 60_000} min` })

  // Grid and axes: three horizontal lines with both axes' values, and minutes along the bottom.
  for (const f of [0, 0.5, 1]) {
    const y = PAD.top + (bottom - PAD.top) * (1 - f)
    svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: f === 0 ? 'axis' : 'grid' }))
    svg.append(s('text', { x: PAD.left - 8, y: y + 4, class: 'tick tick-replicas', 'text-anchor': 'end' }, formatCount(Math.round(yMaxLeft * f * 10) / 10)))
    svg.append(s('text', { x: W - PAD.right + 8, y: y + 4, class: 'tick tick-lag', 'text-anchor': 'start' }, formatCount(yMaxRight * f)))
  }
  const stepMs = windowMs <= MIN_WINDOW_MS ? 15_000 : 60_000
  for (let ago = windowMs; ago >= 0; ago -= stepMs) {
    const label = ago === 0 ? 'now' : ago % 60_000 === 0 ? `−${ago / 60_000} min` : `−${ago / 1000} s`
    svg.append(s('text', { x: x(now - ago), y: H - 6, class: 'tick', 'text-anchor': ago === windowMs ? 'start' : ago === 0 ? 'end' : 'middle' }, label))
  }
  if (shown.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, class: 'chart-note', 'text-anchor': 'middle' }, 'collecting samples…'))
    return svg
  }

  const lagPoints = shown.map(p => [Math.max(PAD.left, x(p.at)), yr(p.lag)])
  const first = lagPoints[0]
  const last = lagPoints[lagPoints.length - 1]
  svg.append(s('path', { d: `${linePath(lagPoints)}L${last[0].toFixed(1)},${bottom}L${first[0].toFixed(1)},${bottom}Z`, class: 'lag-area' }))
  svg.append(s('path', { d: linePath(lagPoints), class: 'lag-line' }))
  svg.append(s('path', { d: stepPath(shown.map(p => [Math.max(PAD.left, x(p.at)), yl(p.desired)])), class: 'desired-line' }))
  svg.append(s('path', { d: stepPath(shown.map(p => [Math.max(PAD.left, x(p.at)), yl(p.replicas)])), class: 'replicas-line' }))
  if (maxReplicas <= yMaxLeft) {
    const y = yl(maxReplicas)
    svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'max-line' }))
  }
  return svg
}

/** A small line of records/s over the same window. */
export function rateSparkline (samples) {
  const now = Date.now()
  const w = 240
  const hgt = 36
  const windowMs = windowOf(samples, now)
  const shown = samples.filter(p => p.at >= now - windowMs - 2000)
  const max = Math.max(1, ...shown.map(p => p.rate))
  const px = at => w * (1 - (now - at) / windowMs)
  const py = v => hgt - 3 - (hgt - 6) * (v / max)
  const svg = s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'sparkline', role: 'img', 'aria-label': `records per second, peak ${formatRate(max)}` })
  svg.append(s('line', { x1: 0, x2: w, y1: hgt - 3, y2: hgt - 3, class: 'axis' }))
  if (shown.length > 1) svg.append(s('path', { d: linePath(shown.map(p => [Math.max(0, px(p.at)), py(p.rate)])), class: 'rate-line' }))
  return svg
}
