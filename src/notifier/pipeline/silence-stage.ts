/** Drops the alerts an active silence matches at the flush's time. */
import type { LabelSet } from '../labels.js'
import type { Stage } from './stage.js'

/** What the stage needs of the silence store. */
export interface Silencer { mutedBy: (labels: LabelSet, now: number) => string[] }

export function silenceStage (silencer: Silencer): Stage {
  return (ctx, alerts) => {
    const kept = alerts.filter(a => silencer.mutedBy(a.labels, ctx.now).length === 0)
    if (kept.length < alerts.length) ctx.trace.push(`silence: ${alerts.length - kept.length} muted`)
    return kept
  }
}
