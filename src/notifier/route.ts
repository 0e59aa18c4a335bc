/**
 * The routing tree, with Alertmanager's semantics: an alert enters at the root and goes down
 * depth first; at each level the first child that matches takes it, unless that child says
 * `continue`, in which case later siblings are tried too. A node none of whose children match is
 * itself the match. Children inherit receiver, group_by and timings from their parent unless
 * they set their own; `continue` is not inherited.
 */
import { groupKey } from './fingerprint.js'
import type { LabelSet } from './labels.js'
import { compareMatchers, matchersString, matchesLabels, type Matcher } from './matchers.js'

/** A route as configured: anything left undefined is inherited from the parent. */
export interface RouteSpec {
  receiver?: string
  /** Labels to group by; undefined (or an empty list in the config) inherits the parent's. */
  groupBy?: readonly string[]
  /** `group_by: ['...']`: every label, i.e. one group per distinct alert. */
  groupByAll?: boolean
  groupWaitMs?: number
  groupIntervalMs?: number
  repeatIntervalMs?: number
  matchers: readonly Matcher[]
  continue: boolean
  routes: readonly RouteSpec[]
}

/** A route's effective options after inheritance. */
export interface RouteOptions {
  receiver: string
  groupBy: readonly string[]
  groupByAll: boolean
  groupWaitMs: number
  groupIntervalMs: number
  repeatIntervalMs: number
}

export interface Route {
  /** Where it is in the config, e.g. `route.routes.1.routes.0`. */
  readonly path: string
  /**
   * Alertmanager's route key: the parent's key, `/`, then this route's sorted matchers, e.g.
   * `{}/{team="frontend"}`. The first half of every group key.
   */
  readonly key: string
  readonly matchers: readonly Matcher[]
  readonly continue: boolean
  readonly options: RouteOptions
  readonly routes: readonly Route[]
}

/** Alertmanager's defaults for the root route. */
export const DEFAULT_ROUTE_TIMING = {
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000
} as const

/** Resolves inheritance and keys for a whole tree. The root must name a receiver. */
export function buildRouteTree (root: RouteSpec): Route {
  if (root.receiver === undefined) throw new Error('the root route must name a receiver: every alert needs somewhere to go')
  const defaults: RouteOptions = { receiver: root.receiver, groupBy: [], groupByAll: false, ...DEFAULT_ROUTE_TIMING }
  return build(root, defaults, undefined, 'route')
}

function build (spec: RouteSpec, inherited: RouteOptions, parentKey: string | undefined, path: string): Route {
  const options: RouteOptions = { ...inherited }
  if (spec.receiver !== undefined) options.receiver = spec.receiver
  if (spec.groupBy !== undefined && spec.groupBy.length > 0) {
    options.groupBy = [...spec.groupBy]
    options.groupByAll = false
  } else if (spec.groupByAll === true) {
    options.groupByAll = true
  }
  if (spec.groupWaitMs !== undefined) options.groupWaitMs = spec.groupWaitMs
  if (spec.groupIntervalMs !== undefined) options.groupIntervalMs = spec.groupIntervalMs
  if (spec.repeatIntervalMs !== undefined) options.repeatIntervalMs = spec.repeatIntervalMs
  const matchers = [...spec.matchers].sort(compareMatchers)
  const own = matchersString(matchers)
  const key = parentKey === undefined ? own : `${parentKey}/${own}`
  return {
    path,
    key,
    matchers,
    continue: spec.continue,
    options,
    routes: spec.routes.map((child, i) => build(child, options, key, `${path}.routes.${i}`))
  }
}

/** The routes an alert with these labels goes to, in tree order (empty only if the root does not match). */
export function matchRoutes (route: Route, labels: LabelSet): Route[] {
  if (!matchesLabels(route.matchers, labels)) return []
  const found: Route[] = []
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels)
    found.push(...matched)
    if (matched.length > 0 && !child.continue) break
  }
  return found.length > 0 ? found : [route]
}

/** The labels that decide which of a route's aggregation groups an alert joins. */
export function groupLabelsFor (route: Route, labels: LabelSet): LabelSet {
  if (route.options.groupByAll) return { ...labels }
  const out: Record<string, string> = {}
  for (const name of route.options.groupBy) {
    // Only labels the alert has: a missing group_by label does not become an empty one.
    if (labels[name] !== undefined) out[name] = labels[name]
  }
  return out
}

/**
 * One place an alert goes: a route, and the aggregation group within it. Two sibling routes
 * with the same matchers print the same key yet hold separate groups (Alertmanager keys groups
 * by route, then group labels), so a dispatcher should key by `route.path` and groupKey.
 */
export interface Destination {
  route: Route
  groupLabels: LabelSet
  /** `<route key>:<group labels>`, the webhook payload's groupKey. */
  groupKey: string
}

/** Every aggregation group an alert with these labels belongs to. */
export function routeAlert (root: Route, labels: LabelSet): Destination[] {
  return matchRoutes(root, labels).map(route => {
    const groupLabels = groupLabelsFor(route, labels)
    return { route, groupLabels, groupKey: groupKey(route.key, groupLabels) }
  })
}
