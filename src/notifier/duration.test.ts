import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDuration, parseDuration } from './duration.js'

test('Prometheus durations', () => {
  const cases: [string, number][] = [
    ['0', 0], ['0s', 0], ['30s', 30_000], ['5m', 300_000], ['4h', 14_400_000], ['1h30m', 5_400_000],
    ['1d', 86_400_000], ['1w', 604_800_000], ['1y', 31_536_000_000], ['500ms', 500], ['1m30s250ms', 90_250]
  ]
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text)
  for (const bad of ['', '5', '1.5h', '30m1h', '5M', '-5m', '1h 30m', '5mm']) {
    assert.throws(() => parseDuration(bad), /is not a duration; write it like 30s, 5m, 1h30m or 1d/, bad)
  }
  assert.equal(formatDuration(5_400_000), '1h30m')
  assert.equal(formatDuration(0), '0s')
  assert.equal(formatDuration(90_250), '1m30s250ms')
})
