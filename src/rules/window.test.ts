import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RangeFn } from './logql/ast.js'
import { quantile, rangeValue, variance, Window } from './window.js'

const FNS: RangeFn[] = ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'first_over_time', 'last_over_time', 'absent_over_time', 'quantile_over_time', 'stddev_over_time', 'stdvar_over_time']

test('every range function over a window\'s buckets (lo, hi] is its value over the samples themselves: out of order, several per millisecond, windows at the edges, after pruning', () => {
  let seed = 3
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n }
  for (let round = 0; round < 300; round++) {
    const fn = FNS[round % FNS.length]
    const w = new Window(fn)
    const samples = Array.from({ length: rand(40) }, (_, offset) => ({ ts: 1000 + rand(60), value: rand(7) - 2, offset }))
    for (const s of samples) w.add(s.ts, s.value, { topic: 't', partition: 0, offset: s.offset })
    const pruneAt = rand(3) === 0 ? 1000 + rand(20) : 0
    if (pruneAt > 0) w.prune(pruneAt)
    for (let k = 0; k < 8; k++) {
      const hi = 990 + rand(80)
      const lo = hi - 1 - rand(30)
      const { from, to } = w.bounds(lo, hi)
      const got = rangeValue(fn, w.buckets, from, to, 10, 0.9, fn === 'rate' && round % 2 === 0)
      // Samples in the window, by time and then by offset (the order ties are broken in).
      const inside = samples.filter(s => s.ts > Math.max(lo, pruneAt) && s.ts <= hi).sort((a, b) => a.ts - b.ts || a.offset - b.offset)
      const what = `${fn} (${lo}, ${hi}] pruned at ${pruneAt}: ${JSON.stringify(samples)}`
      if (inside.length === 0) { assert.equal(got, undefined, what); continue }
      const values = inside.map(s => s.value)
      const sum = values.reduce((a, b) => a + b, 0)
      const want: Record<RangeFn, number> = {
        count_over_time: values.length,
        rate: fn === 'rate' && round % 2 === 0 ? sum / 10 : values.length / 10,
        bytes_over_time: sum,
        bytes_rate: sum / 10,
        sum_over_time: sum,
        avg_over_time: sum / values.length,
        min_over_time: Math.min(...values),
        max_over_time: Math.max(...values),
        first_over_time: values[0],
        last_over_time: values[values.length - 1],
        absent_over_time: 1,
        quantile_over_time: quantile(0.9, values),
        stddev_over_time: Math.sqrt(variance(values)),
        stdvar_over_time: variance(values)
      }
      assert.ok(got !== undefined, what)
      assert.ok(Math.abs(got.value - want[fn]) < 1e-9, `${what}: ${got.value} ≠ ${want[fn]}`)
      assert.equal(got.src.offset, inside[inside.length - 1].offset, what)
    }
  }
})
