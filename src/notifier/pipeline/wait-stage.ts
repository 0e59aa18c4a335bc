/**
 * Holds a flush that is not due yet (group_wait for a new group, group_interval after that).
 * The dispatcher schedules flushes with the same `flushTiming`, so this only stops a flush that
 * arrives early — a timer firing ahead of time, or a flush asked for by hand.
 */
import { flushTiming } from '../decide.js'
import type { Stage } from './stage.js'

export function waitStage (): Stage {
  return (ctx, alerts) => {
    const { groupWaitMs, groupIntervalMs } = ctx.group.options
    const timing = flushTiming({ now: ctx.now, group: ctx.group.clock, alerts, groupWaitMs, groupIntervalMs })
    if (timing.due) return alerts
    ctx.trace.push(`wait: ${timing.reason}; ${timing.detail}`)
    return []
  }
}
