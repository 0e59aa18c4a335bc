// A rules project for `tidewatch up` in a temporary folder (4 partitions, a rules workload with a
// fixed replica count), and the few things the rules tests do with it: produce records to chosen
// partitions with a real Kafka client, read the rules workload's status and the notifier's alerts.
import fs from 'node:fs'
import path from 'node:path'
import { KafkaClient } from '../../src/kafka/client.js'
import type { WorkloadStatus } from '../../src/scaling/function-controller.js'
import type { RuleSummary } from '../../src/rules/runtime/summary.js'
import { waitFor } from './wait.js'
import { plaintextSettings } from '../../src/kafka/connection-settings.js'

/** `replicas`: a fixed count (default 2); `scale`: the rules entry's scale: block instead, as YAML flow. */
export function writeRulesProject (dir: string, rules: string, o: { replicas?: number, scale?: string, notifier?: string, name?: string, functions?: string[] } = {}): string {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'rules.yaml'), rules)
  const n = o.replicas ?? 2
  const notifier = o.notifier ?? `route:
  receiver: console
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: console
`
  fs.writeFileSync(path.join(dir, 'notifier.yaml'), notifier)
  const functions = o.functions === undefined ? '' : `functions: ${JSON.stringify(o.functions)}\n`
  fs.writeFileSync(path.join(dir, 'tidewatch.yaml'), `${functions}rules:
  - file: ./rules.yaml
    name: ${o.name ?? 'shop-rules'}
    startFrom: earliest
    scale: ${o.scale ?? `{ minReplicas: ${n}, maxReplicas: ${n} }`}
notifier: ./notifier.yaml
broker:
  partitions: 4
`)
  return path.join(dir, 'tidewatch.yaml')
}

/** Produces `values` round-robin over `partitions` partitions of `topic` (kcat's partitioner would put a burst on one). */
export async function produceSpread (bootstrap: string, topic: string, values: string[], partitions = 4): Promise<void> {
  const kafka = new KafkaClient({ settings: plaintextSettings([bootstrap]), clientId: 'rules-test' })
  try {
    for (let i = 0; i < values.length; i += 1000) {
      await kafka.produce(values.slice(i, i + 1000).map((value, j) => ({ topic, partition: (i + j) % partitions, value })))
    }
  } finally {
    await kafka.close()
  }
}

export async function rulesWorkload (api: string, name = 'shop-rules'): Promise<WorkloadStatus | undefined> {
  const res = await fetch(`${api}/api/v1/rules`)
  if (!res.ok) throw new Error(`/api/v1/rules: HTTP ${res.status}`)
  return ((await res.json()) as { workloads: WorkloadStatus[] }).workloads.find(w => w.name === name)
}

/**
 * Waits until the rules workload has `replicas` ready replicas (default: at least one) and the
 * owner of every metric rule has evaluated it. Before the replicas' first report the workload
 * lists no rules at all, which must not pass for "every rule evaluated".
 */
export async function waitRulesEvaluating (api: string, o: { replicas?: number, name?: string, timeoutMs?: number } = {}): Promise<void> {
  await waitFor(async () => {
    const w = await rulesWorkload(api, o.name)
    if (w === undefined || (o.replicas === undefined ? w.replicas.ready < 1 : w.replicas.ready !== o.replicas)) return false
    const rules = w.rules ?? []
    return rules.length > 0 && rules.filter(r => r.kind === 'metric').every(r => r.evaluatedAt !== null)
  }, { what: `${o.replicas ?? 'the'} rules replicas ready and every metric rule evaluated`, timeoutMs: o.timeoutMs ?? 90_000 })
}

export async function rule (api: string, alert: string, name = 'shop-rules'): Promise<RuleSummary | undefined> {
  return (await rulesWorkload(api, name))?.rules?.find(r => r.alert === alert)
}

export interface HeldAlert { labels: Record<string, string>, annotations: Record<string, string>, startsAt: string, generatorURL: string, status: { state: string } }

export async function notifierAlerts (api: string): Promise<HeldAlert[]> {
  const res = await fetch(`${api}/api/v2/alerts`)
  if (!res.ok) throw new Error(`/api/v2/alerts: HTTP ${res.status}`)
  return await res.json() as HeldAlert[]
}

/** A Fluent Bit record (kubernetes filter) carrying `log`, with its event time now. */
export function fluentBitRecord (log: string, pod = 'cart-1', namespace = 'shop'): string {
  return JSON.stringify({ time: new Date().toISOString(), stream: 'stdout', log, kubernetes: { namespace_name: namespace, pod_name: pod, container_name: 'cart', host: 'node-1' } })
}
