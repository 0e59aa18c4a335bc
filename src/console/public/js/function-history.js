// The functions' status over time, as seen by this page: /api/v1/functions is polled every
// second for as long as the console is open (whichever view is shown), so the chart of
// replicas against lag already has a history when the Functions view is opened.
import { getJson, poll } from './api.js'

const POLL_MS = 1000
/** Samples kept per function: 10 minutes at one a second. */
const KEEP = 600

const history = new Map()
const listeners = new Set()
let latest = { functions: [], error: null, loaded: false }

/** Starts polling (once). */
export function startFunctionHistory () {
  poll(async () => {
    const { functions } = await getJson('/api/v1/functions')
    const at = Date.now()
    for (const f of functions) {
      const list = history.get(f.name) ?? []
      list.push({ at, replicas: f.replicas.current, ready: f.replicas.ready, desired: f.replicas.desired, lag: f.lag.total, rate: f.recordsPerSecond })
      if (list.length > KEEP) list.splice(0, list.length - KEEP)
      history.set(f.name, list)
    }
    latest = { functions, error: null, loaded: true }
    for (const l of listeners) l(latest)
  }, POLL_MS, err => {
    latest = { ...latest, error: err }
    for (const l of listeners) l(latest)
  })
}

/** Samples of one function, oldest first. */
export function samplesOf (name) { return history.get(name) ?? [] }

/** Calls `listener(state)` now and after every poll; returns the unsubscribe function. */
export function subscribeFunctions (listener) {
  listeners.add(listener)
  listener(latest)
  return () => { listeners.delete(listener) }
}
