/**
 * The running notifier: alerts in (`post`), grouped by the dispatcher, flushed through the
 * pipeline into the outbox, delivered by one worker per receiver integration. Everything it
 * acknowledged lives in `dataDir` — the alerts (written before `post` returns), the
 * notification log, silences and undelivered notifications — so a restart, however abrupt,
 * restores the groups and delivers what is owed, and the notification log keeps it from
 * re-sending what was delivered.
 */
import fs from 'node:fs'
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import { mergeAlert, normalizeAlerts, isResolved, type Alert, type AlertProblem } from './alert.js'
import { loadNotifierConfig, type NotifierConfig } from './config.js'
import { AlertnameLimits } from './alert-limits.js'
import { DeliveryWorker } from './delivery-worker.js'
import { Dispatcher, type GroupView } from './dispatcher.js'
import { buildDeliveryPipeline, buildFlushPipeline, DEFAULT_BACKOFF, RateLimiter, type Backoff, type DeliveryRecord, type FlushContext } from './pipeline/index.js'
import { buildIntegrations, type Integration } from './receivers/index.js'
import { routeAlert } from './route.js'
import { AlertStore, type StoredAlert } from './store/alerts.js'
import { NotificationLog } from './store/notification-log.js'
import { Outbox } from './store/outbox.js'
import { SilenceStore } from './store/silences.js'
import { alertStatuses, deliveryStatus, type AlertStatus, type DeliveryStatus } from './status.js'

export interface NotifierStartOptions {
  /** A routing file (Alertmanager's YAML shape), or an already parsed config. */
  configFile?: string
  config?: NotifierConfig
  dataDir: string
  logger: Logger
  clock?: Clock
  /** The URL receivers link back to (webhook externalURL, Slack title link). */
  externalURL?: string
  backoff?: Backoff
  /** Removal of empty groups and forgotten state (Alertmanager: every 30s). */
  maintenanceIntervalMs?: number
}

export type { AlertStatus }

/** Recent delivery outcomes kept for the status API and tests. */
const RECENT_DELIVERIES = 1000

export class Notifier {
  readonly config: NotifierConfig
  readonly silences: SilenceStore
  readonly startedAt: number
  externalURL: string
  readonly deliveries: DeliveryRecord[] = []
  readonly #alerts: AlertStore
  readonly #limits: AlertnameLimits
  readonly #warnedLimit = new Set<string>()
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #nflog: NotificationLog
  readonly #outbox: Outbox
  readonly #dispatcher: Dispatcher
  readonly #workers: DeliveryWorker[] = []
  readonly #abort = new AbortController()
  readonly #maintenanceMs: number
  #maintenance?: TimerHandle
  #closed?: Promise<void>

  private constructor (o: NotifierStartOptions, config: NotifierConfig) {
    this.config = config
    this.#clock = o.clock ?? systemClock
    this.#logger = o.logger
    this.startedAt = this.#clock.now()
    this.externalURL = o.externalURL ?? 'http://127.0.0.1:9093'
    this.#maintenanceMs = o.maintenanceIntervalMs ?? 30_000
    this.#limits = new AlertnameLimits(config.maxActiveAlertsPerAlertname)
    fs.mkdirSync(o.dataDir, { recursive: true })
    const nf = NotificationLog.open(o.dataDir)
    const ob = Outbox.open(o.dataDir)
    const si = SilenceStore.open(o.dataDir)
    const al = AlertStore.open(o.dataDir)
    for (const [what, bad] of [['nflog', nf.badLines], ['outbox', ob.badLines], ['silences', si.badLines], ['alerts', al.badLines]] as const) {
      if (bad.length > 0) this.#logger.warn({ file: what, lines: bad }, 'skipped unreadable lines (a torn last line is normal after a crash)')
    }
    this.#nflog = nf.log
    this.#outbox = ob.outbox
    this.silences = si.store
    this.#alerts = al.store

    const integrations = buildIntegrations(config.receivers, this.#logger)
    const flush = buildFlushPipeline({
      inhibitRules: config.inhibitRules,
      allAlerts: () => this.#alerts.held(),
      silencer: this.silences,
      integrationsOf: receiver => integrations.get(receiver) ?? [],
      nflog: this.#nflog,
      outbox: this.#outbox,
      limitedIn: (routePath, groupKey, now) => this.#limits.limitedIn(groupId(routePath, groupKey), now)
    })
    this.#dispatcher = new Dispatcher({
      route: config.route,
      clock: this.#clock,
      logger: this.#logger,
      maintenanceIntervalMs: this.#maintenanceMs,
      flush: async (group, alerts, now) => {
        const ctx: FlushContext = { now, group, logger: this.#logger, trace: [] }
        await flush(ctx, alerts)
        this.#logger.debug({ groupKey: group.groupKey, alerts: alerts.length, trace: ctx.trace }, 'flushed')
      }
    })
    const deliver = buildDeliveryPipeline({
      clock: this.#clock,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      limiter: new RateLimiter(this.#clock),
      nflog: this.#nflog,
      outbox: this.#outbox,
      externalURL: () => this.externalURL,
      onRecord: r => {
        this.deliveries.push(r)
        if (this.deliveries.length > RECENT_DELIVERIES) this.deliveries.splice(0, this.deliveries.length - RECENT_DELIVERIES)
      }
    })
    const known = new Set<string>()
    for (const list of integrations.values()) {
      for (const integration of list) {
        known.add(integration.key)
        this.#workers.push(new DeliveryWorker(integration, this.#outbox, deliver, this.#abort.signal, this.#logger))
      }
    }
    if (this.#outbox.size > 0) this.#logger.info({ pending: this.#outbox.size }, 'resuming undelivered notifications')
    this.#restore()
    this.#scheduleMaintenance()
  }

  static async start (o: NotifierStartOptions): Promise<Notifier> {
    const config = o.config ?? (o.configFile !== undefined ? loadNotifierConfig(o.configFile) : undefined)
    if (config === undefined) throw new Error('Notifier.start needs configFile or config')
    return new Notifier(o, config)
  }

  /**
   * Takes a `POST /api/v2/alerts` body. As in Alertmanager, valid alerts are kept even when
   * others in the same body are not; `problems` names each bad field (`2.labels.foo-bar: …`).
   */
  post (body: unknown): { accepted: number, limited: number, problems: AlertProblem[] } {
    if (this.#closed !== undefined) throw new Error('the notifier is closed')
    const now = this.#clock.now()
    const { alerts, problems } = normalizeAlerts(body, now, this.config.resolveTimeoutMs, this.config.inputLimits)
    let limited = 0
    const held: StoredAlert[] = []
    for (const incoming of alerts) {
      const stored = this.#alerts.get(incoming.fingerprint)
      const previous = stored?.limited === false ? stored.alert : undefined
      const d = this.#limits.decide(incoming, previous !== undefined, now)
      if (!d.hold) {
        limited++
        this.#count(incoming)
        this.#alerts.put({ alert: incoming, seenAt: now, limited: true })
        const name = incoming.labels.alertname ?? ''
        if (!this.#warnedLimit.has(name)) {
          this.#warnedLimit.add(name)
          this.#logger.warn({ alertname: name, limit: this.#limits.max }, 'per-alertname limit reached: further alerts are counted in notifications ("and N more"), not held one by one')
        }
        continue
      }
      const merged = previous === undefined ? incoming : mergeAlert(previous, incoming, now)
      // mergeAlert hands back the incoming alert itself when it starts a new episode.
      const s: StoredAlert = { alert: merged, seenAt: previous !== undefined && merged !== incoming ? stored!.seenAt : now, limited: false }
      this.#alerts.put(s)
      this.#limits.hold(merged)
      held.push(s)
    }
    // On disk before the caller answers 200. If the disk refuses, the groups still get the
    // alerts (best effort), but the caller is told nothing was acknowledged, so it retries.
    try {
      this.#alerts.commit()
    } catch (err) {
      throw new Error(`cannot write the alert store in the data dir (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was acknowledged, retry`)
    } finally {
      for (const s of held) this.#dispatcher.insert(s.alert, s.seenAt)
    }
    return { accepted: alerts.length, limited, problems }
  }

  /** Firing alerts over the per-alertname limit, counted but not held. */
  get limitedAlerts (): number { return this.#limits.limitedTotal }

  /** Every alert held and not yet resolved, with its mute status, as GET /api/v2/alerts lists them. */
  alerts (): AlertStatus[] {
    return alertStatuses(this.#alerts.held(), this.config, (labels, now) => this.silences.mutedBy(labels, now), this.#clock.now())
  }

  /** Delivery outcomes per alert group, for the console. */
  deliveryStatus (): DeliveryStatus { return deliveryStatus(this) }

  groups (): GroupView[] { return this.#dispatcher.groups() }

  /** Notifications queued and not yet delivered. */
  get pendingNotifications (): number { return this.#outbox.size }

  now (): number { return this.#clock.now() }

  /** Stops timers and delivery; what is undelivered stays queued on disk for the next start. */
  async close (): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#maintenance !== undefined) this.#clock.clearTimeout(this.#maintenance)
      await this.#dispatcher.close()
      this.#abort.abort()
      await Promise.allSettled(this.#workers.map(w => w.done))
      this.#nflog.close()
      this.#outbox.close()
      this.silences.close()
      this.#alerts.close()
    })()
    await this.#closed
  }

  /** Puts the alerts of the last run back into their groups, earliest first. */
  #restore (): void {
    const stored = this.#alerts.list()
    for (const s of stored) {
      if (s.limited) { this.#count(s.alert); continue }
      this.#limits.hold(s.alert)
      this.#dispatcher.insert(s.alert, s.seenAt)
    }
    if (stored.length > 0) this.#logger.info({ alerts: stored.length, groups: this.#dispatcher.groups().length }, 'restored the alerts of the last run')
  }

  /** Counts an alert over the per-alertname limit in the groups it belongs to. */
  #count (alert: Alert): void {
    this.#limits.count(alert, routeAlert(this.config.route, alert.labels).map(dest => groupId(dest.route.path, dest.groupKey)))
  }

  #scheduleMaintenance (): void {
    this.#maintenance = this.#clock.setTimeout(() => {
      const now = this.#clock.now()
      const grouped = new Set<string>()
      for (const g of this.#dispatcher.groups()) for (const a of g.alerts) grouped.add(a.fingerprint)
      // Resolved alerts no group still holds are done with (Alertmanager's alert GC); so are
      // resolved ones over the limit (they only counted while firing).
      const done = this.#alerts.list().filter(s => isResolved(s.alert, now) && (s.limited || !grouped.has(s.alert.fingerprint))).map(s => s.alert.fingerprint)
      try { this.#alerts.drop(done) } catch (err) { this.#logger.warn({ err: (err as Error).message }, 'cannot write the alert store; resolved alerts are dropped at the next pass') }
      this.#limits.gc(now, fp => this.#alerts.get(fp)?.limited === false)
      this.#nflog.gc(now)
      this.silences.gc(now)
      this.#scheduleMaintenance()
    }, this.#maintenanceMs)
  }
}

/** The dispatcher's identity of an aggregation group. */
function groupId (routePath: string, groupKey: string): string {
  return `${routePath}\u0000${groupKey}`
}

export type { Integration }
