// Shared by the pipeline's unit tests: alerts, groups and contexts without a running notifier.
import { silentLogger } from '../../shared/logger.js'
import { normalizeAlert, type Alert } from '../alert.js'
import type { Integration } from '../receivers/integration.js'
import type { RouteOptions } from '../route.js'
import type { FlushContext, FlushGroup, IntegrationContext } from './stage.js'

export const T0 = Date.parse('2024-05-01T12:00:00Z')
export const OPTIONS: RouteOptions = { receiver: 'team', groupBy: ['alertname'], groupByAll: false, groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 }

/** A firing alert (for an hour, or resolved at `endsAt`) received at T0 - 1 min. */
export function alert (labels: Record<string, string>, endsAt?: number): Alert {
  return normalizeAlert({ labels, endsAt: endsAt === undefined ? undefined : new Date(endsAt).toISOString() }, T0 - 60_000, 3_600_000)
}

export function flushGroup (over: Partial<FlushGroup> = {}): FlushGroup {
  return { routePath: 'route', groupKey: '{}:{alertname="A"}', groupLabels: { alertname: 'A' }, options: OPTIONS, clock: { createdAt: T0 - 60_000 }, ...over }
}

export function flushContext (now = T0, group = flushGroup()): FlushContext {
  return { now, group, logger: silentLogger(), trace: [] }
}

export function fakeIntegration (over: Partial<Integration> = {}): Integration {
  return { key: 'team/webhook/0', receiver: 'team', type: 'webhook', sendResolved: true, describe: 'team/webhook/0 (test)', send: async () => {}, ...over }
}

export function integrationContext (integration = fakeIntegration(), now = T0, group = flushGroup()): IntegrationContext {
  return { ...flushContext(now, group), integration }
}

/** Lets promise callbacks queued by fake-clock timers run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
}
