import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideReplicas, INITIAL_SCALE_STATE, partitionLag, type ScaleSettings, type ScaleState } from './policy.js'
import { functionFileSchema } from '../functions/config/schema.js'

// Defaults exactly as a Function file without a scale block gets them.
const DEFAULTS: ScaleSettings = functionFileSchema.parse({ name: 'f', input: { topic: 't' }, handler: './h.ts' }).scale
const settings = (over: Partial<ScaleSettings> = {}): ScaleSettings => ({ ...DEFAULTS, ...over })
const spread = (total: number, partitions: number): number[] => Array.from({ length: partitions }, (_, i) => Math.floor(total / partitions) + (i < total % partitions ? 1 : 0))

test('defaults follow KEDA: min 0, max 100, lagThreshold 10, activation 0, polling 30s, cooldown 300s, HPA window 300s', () => {
  assert.deepEqual(DEFAULTS, {
    minReplicas: 0, maxReplicas: 100, lagThreshold: 10, activationLagThreshold: 0, pollingInterval: 30,
    cooldownPeriod: 300, scaleDownStabilization: 300, allowIdleConsumers: false, limitToPartitionsWithLag: false
  })
})

test('partition lag counts like KEDA, including partitions the group never committed', () => {
  const cases: [Parameters<typeof partitionLag>[0], 'earliest' | 'latest', number][] = [
    [{ partition: 0, endOffset: 100, committed: 40, logStartOffset: 0 }, 'latest', 60],
    [{ partition: 0, endOffset: 100, committed: 100, logStartOffset: 0 }, 'latest', 0],
    [{ partition: 0, endOffset: 100, committed: -1, logStartOffset: 0 }, 'latest', 1],
    [{ partition: 0, endOffset: 100, committed: -1, logStartOffset: 0 }, 'earliest', 100],
    // Records removed by retention cannot be consumed, so they are not lag.
    [{ partition: 0, endOffset: 100, committed: -1, logStartOffset: 30 }, 'earliest', 70],
    // A committed offset past the end (the log was truncated) is no lag, never negative.
    [{ partition: 0, endOffset: 10, committed: 50, logStartOffset: 0 }, 'latest', 0]
  ]
  for (const [p, policy, want] of cases) assert.equal(partitionLag(p, policy), want, JSON.stringify({ p, policy }))
})

test('desired replicas from lag: table of KEDA + HPA outcomes', () => {
  const rows: { name: string, current: number, lags: number[], s?: Partial<ScaleSettings>, desired: number, action: string, reason?: RegExp }[] = [
    // The worked examples in the notes: ceil(95/20) = 5; 500 is capped at the 10 partitions.
    { name: 'notes example: lag 95, threshold 20, 10 partitions', current: 1, lags: spread(95, 10), s: { lagThreshold: 20 }, desired: 5, action: 'scale-up', reason: /lag 95 \/ lagThreshold 20 → 5/ },
    { name: 'notes example: lag 500 is capped at 10 partitions', current: 5, lags: spread(500, 10), s: { lagThreshold: 20 }, desired: 10, action: 'scale-up', reason: /capped at 10 partitions/ },
    { name: 'allowIdleConsumers lifts the partition cap', current: 5, lags: spread(500, 10), s: { lagThreshold: 20, allowIdleConsumers: true }, desired: 25, action: 'scale-up' },
    { name: 'maxReplicas caps', current: 1, lags: spread(500, 10), s: { lagThreshold: 20, maxReplicas: 3 }, desired: 3, action: 'scale-up', reason: /capped at maxReplicas 3/ },
    { name: 'limitToPartitionsWithLag caps at partitions that have lag', current: 1, lags: [300, 0, 0, 200, 0, 0], s: { limitToPartitionsWithLag: true }, desired: 2, action: 'scale-up', reason: /2 partitions with lag/ },
    { name: 'idle at zero stays at zero', current: 0, lags: [0, 0, 0], desired: 0, action: 'hold', reason: /idle/ },
    { name: 'one record activates from zero (activationLagThreshold 0)', current: 0, lags: [0, 1, 0], desired: 1, action: 'activate' },
    { name: 'activation jumps straight to the HPA count', current: 0, lags: spread(250, 8), desired: 8, action: 'activate', reason: /capped at 8 partitions/ },
    { name: 'lag at the activation threshold does not activate', current: 0, lags: [5], s: { activationLagThreshold: 5 }, desired: 0, action: 'hold' },
    { name: 'lag above the activation threshold activates', current: 0, lags: [6], s: { activationLagThreshold: 5 }, desired: 1, action: 'activate' },
    { name: 'minReplicas ignores activation', current: 0, lags: [0], s: { minReplicas: 2 }, desired: 2, action: 'activate', reason: /minReplicas 2/ },
    { name: 'within 10% of the target: no change', current: 4, lags: spread(42, 8), desired: 4, action: 'hold', reason: /tolerance/ },
    { name: 'just outside the tolerance: scale up', current: 4, lags: spread(45, 8), desired: 5, action: 'scale-up' },
    { name: 'more replicas than partitions is brought back down', current: 5, lags: spread(0, 2), s: { scaleDownStabilization: 0 }, desired: 1, action: 'scale-down' }
  ]
  for (const r of rows) {
    const d = decideReplicas({ now: 1_000_000, current: r.current, lags: r.lags, settings: settings(r.s), state: INITIAL_SCALE_STATE })
    assert.equal(d.desired, r.desired, `${r.name}: desired (${d.reason})`)
    assert.equal(d.action, r.action, `${r.name}: action (${d.reason})`)
    if (r.reason !== undefined) assert.match(d.reason, r.reason, r.name)
    assert.equal(d.totalLag, r.lags.reduce((a, b) => a + b, 0))
  }
})

/** Runs the policy over a timeline, feeding each decision's state and replicas into the next. */
function timeline (s: ScaleSettings, steps: { at: number, lags: number[] }[], start = 0): { at: number, desired: number, action: string, reason: string }[] {
  let state: ScaleState = INITIAL_SCALE_STATE
  let current = start
  return steps.map(({ at, lags }) => {
    const d = decideReplicas({ now: at * 1000, current, lags, settings: s, state })
    state = d.state
    current = d.desired
    return { at, desired: d.desired, action: d.action, reason: d.reason }
  })
}

test('a burst scales out, scale-down waits for the stabilisation window, zero comes after the cooldown', () => {
  const s = settings({ lagThreshold: 100, maxReplicas: 10, cooldownPeriod: 60, scaleDownStabilization: 30 })
  const steps = timeline(s, [
    { at: 0, lags: [0, 0, 0, 0] }, // quiet
    { at: 1, lags: [300, 200, 100, 0] }, // burst arrives: ceil(600/100) = 6, capped at 4 partitions
    { at: 10, lags: [50, 50, 50, 0] }, // draining: HPA wants 2, window holds 4
    { at: 35, lags: [20, 0, 0, 0] }, // HPA wants 1; 4 (t=1) has left the 30s window, 2 (t=10) has not
    { at: 45, lags: [0, 0, 0, 0] }, // drained: HPA floor is 1
    { at: 80, lags: [0, 0, 0, 0] }, // 35s without lag: still inside the 60s cooldown
    { at: 95, lags: [0, 0, 0, 0] } // 60s since lag was last seen (t=35): to zero
  ])
  assert.deepEqual(steps.map(s => [s.at, s.desired, s.action]), [
    [0, 0, 'hold'],
    [1, 4, 'activate'],
    [10, 4, 'hold'],
    [35, 2, 'scale-down'],
    [45, 1, 'scale-down'],
    [80, 1, 'hold'],
    [95, 0, 'deactivate']
  ])
  assert.match(steps[3].reason, /highest in the last 30s: 2/)
  assert.match(steps[6].reason, /cooldownPeriod 60s/)
})

test('lag during the cooldown restarts it', () => {
  const s = settings({ cooldownPeriod: 60, scaleDownStabilization: 0 })
  const steps = timeline(s, [
    { at: 0, lags: [5] },
    { at: 50, lags: [0] },
    { at: 55, lags: [1] }, // a record: cooldown starts again from here
    { at: 100, lags: [0] },
    { at: 116, lags: [0] }
  ])
  assert.deepEqual(steps.map(s => s.desired), [1, 1, 1, 1, 0])
})

test('minReplicas above zero never deactivates', () => {
  const steps = timeline(settings({ minReplicas: 1, cooldownPeriod: 0, scaleDownStabilization: 0 }), [{ at: 0, lags: [0] }, { at: 1000, lags: [0] }])
  assert.deepEqual(steps.map(s => s.desired), [1, 1])
})
