import { z } from 'zod'
import { kafkaBlockSchema } from '../../kafka/connection-settings.js'

// The Function file, as users write it. Defaults follow KEDA's Kafka scaler where they overlap,
// so the same file means the same thing locally and on Kubernetes.

export const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  message: 'use 1-63 lower-case letters, digits and dashes, starting and ending with a letter or digit (it becomes a Kubernetes name)'
})
const url = z.string().refine(v => { try { return ['http:', 'https:'].includes(new URL(v).protocol) } catch { return false } }, {
  message: 'expected an http:// or https:// URL'
})
const headers = z.record(z.string(), z.string()).optional()

const retryShape = {
  /** Attempts per flush before the batch is retried from the start (offsets stay uncommitted). */
  attempts: z.number().int().min(1).prefault(5),
  initialBackoffMs: z.number().int().min(1).prefault(200),
  maxBackoffMs: z.number().int().min(1).prefault(10_000)
}
const retry = z.strictObject(retryShape).prefault({})
const httpRetry = z.strictObject({
  ...retryShape,
  /** Deadline of one request (connect, headers and body); past it the attempt fails and is retried. Default 10 s. */
  timeoutMs: z.number().int().min(1).max(600_000).optional()
}).prefault({})

const output = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('alertmanager'), url, headers, retry: httpRetry }),
  z.strictObject({ type: z.literal('webhook'), url, headers, retry: httpRetry }),
  z.strictObject({ type: z.literal('slack'), url, retry: httpRetry }),
  z.strictObject({ type: z.literal('kafka'), topic: z.string().min(1), retry }),
  z.strictObject({ type: z.literal('log') })
], { error: () => 'each output needs a type: alertmanager, webhook, slack, kafka or log' })

const handler = z.union([
  z.string().min(1),
  z.strictObject({ path: z.string().min(1), export: z.string().min(1).prefault('default') })
], { error: () => "expected a module path ('./handler.ts') or { path, export }" })

/** The `scale:` block, as KEDA's ScaledObject names it; a rules workload in the project file takes the same. */
export const scaleSchema = z.strictObject({
  minReplicas: z.number().int().min(0).prefault(0),
  maxReplicas: z.number().int().min(1).prefault(100),
  lagThreshold: z.number().int().min(1).prefault(10),
  activationLagThreshold: z.number().int().min(0).prefault(0),
  /** Seconds, as in KEDA. */
  pollingInterval: z.number().int().min(1).prefault(30),
  /** Seconds, as in KEDA: how long without lag before scaling from 1 to 0. */
  cooldownPeriod: z.number().int().min(0).prefault(300),
  /**
   * Seconds a lower replica count must be recommended before replicas are removed (the HPA's
   * scale-down stabilisation window; KEDA: advanced.horizontalPodAutoscalerConfig.behavior).
   */
  scaleDownStabilization: z.number().int().min(0).max(3600).prefault(300),
  /** Allow more replicas than partitions (the extra ones sit idle), as KEDA's allowIdleConsumers. */
  allowIdleConsumers: z.boolean().prefault(false),
  /** Cap replicas at the number of partitions that have lag, as KEDA's limitToPartitionsWithLag. */
  limitToPartitionsWithLag: z.boolean().prefault(false)
}).prefault({}).superRefine((s, ctx) => {
  if (s.minReplicas > s.maxReplicas) ctx.addIssue({ code: 'custom', path: ['minReplicas'], message: `must not exceed maxReplicas (${s.maxReplicas})` })
  if (s.allowIdleConsumers && s.limitToPartitionsWithLag) ctx.addIssue({ code: 'custom', path: ['limitToPartitionsWithLag'], message: 'cannot be combined with allowIdleConsumers (KEDA rejects the pair)' })
})

export const functionFileSchema = z.strictObject({
  name: k8sName,
  input: z.strictObject({
    topic: z.string().min(1),
    consumerGroup: z.string().min(1).optional(),
    startFrom: z.enum(['earliest', 'latest']).prefault('latest'),
    /**
     * Strings a record must all contain (checked on the raw bytes, before any decoding) for the
     * handler to see it; the others are skipped and committed. Cheap: most log lines never
     * reach JSON.parse or the handler.
     */
    prefilter: z.array(z.string().min(1)).prefault([])
  }),
  handler,
  outputs: z.record(k8sName, output).prefault({}),
  scale: scaleSchema,
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).prefault({}),
  /** A record whose handler runs longer goes to the dead-letter topic. */
  timeoutMs: z.number().int().min(1).prefault(10_000),
  /** How to reach the cluster (brokers, TLS, SASL); flags and TIDEWATCH_KAFKA_* override it. */
  kafka: kafkaBlockSchema.optional()
})

export type FunctionFile = z.infer<typeof functionFileSchema>
export type OutputSpec = FunctionFile['outputs'][string]
