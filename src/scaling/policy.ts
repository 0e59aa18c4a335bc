import type { FunctionFile } from '../functions/config/schema.js'
import type { PartitionOffsets } from '../kafka/client.js'

export type { PartitionOffsets }

// How many replicas a function should have, decided the way KEDA's Kafka scaler and the HPA it
// drives decide on Kubernetes, so a Function file scales the same on a laptop and on a cluster.
// Pure: the caller owns the clock, the offsets and the state between calls.

export type ScaleSettings = FunctionFile['scale']
export type OffsetResetPolicy = 'earliest' | 'latest'

/**
 * Lag of one partition as KEDA counts it. Nothing committed: with `latest` the group would skip
 * what is there, so KEDA counts 1 (enough to activate a consumer that then commits); with
 * `earliest` the whole log is lag — from its start offset, since records removed by retention
 * can never be consumed (KEDA counts from 0; its open PR #7937 makes the same correction).
 */
export function partitionLag (p: PartitionOffsets, policy: OffsetResetPolicy): number {
  if (p.committed < 0) return policy === 'latest' ? 1 : Math.max(0, p.endOffset - p.logStartOffset)
  return Math.max(0, p.endOffset - p.committed)
}

export interface ScaleState {
  /** When the lag last exceeded activationLagThreshold (null: not since start). */
  lastActiveAt: number | null
  /** The HPA's recent recommendations, for the scale-down stabilisation window. */
  recommendations: { at: number, replicas: number }[]
}

export const INITIAL_SCALE_STATE: ScaleState = { lastActiveAt: null, recommendations: [] }

export type ScaleAction = 'activate' | 'scale-up' | 'scale-down' | 'deactivate' | 'hold'

export interface ScaleDecision {
  desired: number
  action: ScaleAction
  reason: string
  totalLag: number
  partitionsWithLag: number
  state: ScaleState
}

export interface ScaleInput {
  now: number
  current: number
  /** Lag per partition (partitionLag); the array's length is the partition count. */
  lags: number[]
  settings: ScaleSettings
  state: ScaleState
}

// The HPA leaves replicas alone while the metric is within 10% of its target.
const HPA_TOLERANCE = 0.1

export function decideReplicas ({ now, current, lags, settings: s, state }: ScaleInput): ScaleDecision {
  const totalLag = lags.reduce((a, b) => a + b, 0)
  const partitionsWithLag = lags.filter(l => l > 0).length
  const active = totalLag > s.activationLagThreshold
  const lastActiveAt = active ? now : (state.lastActiveAt ?? (current > 0 ? now : null))

  // KEDA caps the metric so that replicas never exceed the partitions that could feed them.
  let metric = totalLag
  let capped = ''
  if (!s.allowIdleConsumers || s.limitToPartitionsWithLag) {
    const bound = s.limitToPartitionsWithLag ? partitionsWithLag : lags.length
    if (metric / s.lagThreshold > bound) {
      metric = bound * s.lagThreshold
      capped = `, capped at ${bound} partition${bound === 1 ? '' : 's'}${s.limitToPartitionsWithLag ? ' with lag' : ''}`
    }
  }
  const raw = Math.ceil(metric / s.lagThreshold)
  const floor = Math.max(1, s.minReplicas)
  const recommended = Math.min(s.maxReplicas, Math.max(floor, raw))
  const maxNote = raw > s.maxReplicas ? `, capped at maxReplicas ${s.maxReplicas}` : ''
  const floorNote = raw < floor ? `, at least ${floor}${s.minReplicas === 0 ? ' until the cooldown' : ''}` : ''
  const formula = `lag ${totalLag} / lagThreshold ${s.lagThreshold} → ${raw}${capped}${maxNote}${floorNote}`
  const base = { totalLag, partitionsWithLag }

  if (current === 0) {
    if (s.minReplicas > 0) {
      return { ...base, desired: recommended, action: 'activate', reason: `minReplicas ${s.minReplicas}; ${formula}`, state: { lastActiveAt, recommendations: [{ at: now, replicas: recommended }] } }
    }
    if (!active) {
      return { ...base, desired: 0, action: 'hold', reason: `idle: lag ${totalLag} ≤ activationLagThreshold ${s.activationLagThreshold}`, state: { lastActiveAt, recommendations: [] } }
    }
    return { ...base, desired: recommended, action: 'activate', reason: `lag ${totalLag} > activationLagThreshold ${s.activationLagThreshold}; ${formula}`, state: { lastActiveAt, recommendations: [{ at: now, replicas: recommended }] } }
  }

  // KEDA's part: from 1 to 0 once nothing above the activation threshold was seen for cooldownPeriod.
  if (s.minReplicas === 0 && !active && lastActiveAt !== null && now - lastActiveAt >= s.cooldownPeriod * 1000) {
    return { ...base, desired: 0, action: 'deactivate', reason: `lag ${totalLag} ≤ activationLagThreshold ${s.activationLagThreshold} for cooldownPeriod ${s.cooldownPeriod}s`, state: { lastActiveAt, recommendations: [] } }
  }

  // The HPA's part, between 1 (or minReplicas) and maxReplicas.
  const ratio = metric / current / s.lagThreshold
  const withinTolerance = Math.abs(ratio - 1) <= HPA_TOLERANCE
  const recommendation = withinTolerance ? Math.min(s.maxReplicas, Math.max(floor, current)) : recommended
  const windowMs = s.scaleDownStabilization * 1000
  const recommendations = [...state.recommendations.filter(r => now - r.at < windowMs), { at: now, replicas: recommendation }]
  const next = { lastActiveAt, recommendations }

  if (recommendation > current) {
    return { ...base, desired: recommendation, action: 'scale-up', reason: formula, state: next }
  }
  if (recommendation < current) {
    // Scale down only to the highest count recommended within the window, so a dip in lag
    // between two bursts does not stop replicas that are needed again a moment later.
    const stabilised = Math.max(...recommendations.map(r => r.replicas))
    if (stabilised < current) {
      const held = stabilised > recommendation ? ` (highest in the last ${s.scaleDownStabilization}s: ${stabilised})` : ''
      return { ...base, desired: stabilised, action: 'scale-down', reason: `${formula}${held}`, state: next }
    }
    return { ...base, desired: current, action: 'hold', reason: `${formula}; scale-down held by the ${s.scaleDownStabilization}s stabilisation window`, state: next }
  }
  return { ...base, desired: current, action: 'hold', reason: withinTolerance && recommended !== current ? `${formula}; within the 10% tolerance` : formula, state: next }
}
