/**
 * The shape every notification stage shares, and the combinators that chain them. A flush of an
 * aggregation group runs the group-level stages (inhibit, silence, wait) once, then the
 * integration-level ones (dedup, queue) for each integration of the group's receiver. Each stage
 * receives the alerts the previous one let through and returns the ones it lets through; the
 * chain stops as soon as none are left.
 */
import type { Logger } from '../../shared/logger.js'
import type { Alert } from '../alert.js'
import type { GroupClock, NotifyDecision } from '../decide.js'
import type { LabelSet } from '../labels.js'
import type { RouteOptions } from '../route.js'
import type { Integration } from '../receivers/integration.js'

/** The aggregation group being flushed. */
export interface FlushGroup {
  /** Route path (`route.routes.0`) and group key: the group's identity in the dispatcher. */
  readonly routePath: string
  readonly groupKey: string
  readonly groupLabels: LabelSet
  readonly options: RouteOptions
  /** The group's timing before this flush. */
  readonly clock: GroupClock
}

export interface FlushContext {
  /** The flush's reference time: every stage judges "resolved" and "due" against it. */
  readonly now: number
  readonly group: FlushGroup
  readonly logger: Logger
  /** What the stages decided, for logs and tests: `inhibit: 2 muted`, `dedup a/webhook/0: first notification`. */
  readonly trace: string[]
}

export interface IntegrationContext extends FlushContext {
  readonly integration: Integration
  /** Set by the dedup stage. */
  decision?: NotifyDecision
}

export type Stage<C extends FlushContext = FlushContext> = (ctx: C, alerts: readonly Alert[]) => readonly Alert[] | Promise<readonly Alert[]>

/** Runs stages in order; stops when a stage lets no alert through. */
export function sequence<C extends FlushContext> (...stages: Stage<C>[]): Stage<C> {
  return async (ctx, alerts) => {
    let current = alerts
    for (const stage of stages) {
      if (current.length === 0) return current
      current = await stage(ctx, current)
    }
    return current
  }
}

/**
 * Runs `perIntegration` once for each integration of the group's receiver, each with its own
 * context, one after the other (they only decide and queue; delivery happens elsewhere). Lets
 * through the alerts any integration let through.
 */
export function forEachIntegration (integrationsOf: (receiver: string) => readonly Integration[], perIntegration: Stage<IntegrationContext>): Stage {
  return async (ctx, alerts) => {
    const out = new Map<string, Alert>()
    for (const integration of integrationsOf(ctx.group.options.receiver)) {
      const passed = await perIntegration({ ...ctx, integration }, alerts)
      for (const a of passed) out.set(a.fingerprint, a)
    }
    return [...out.values()]
  }
}
