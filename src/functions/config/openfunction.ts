// Converts an OpenFunction Function (core.openfunction.io v1alpha1 or v1beta2) into a native
// Function file: the Kafka input binding becomes `input`, HTTP (and Kafka) output bindings
// become `outputs`, KEDA settings become `scale`. Everything that has no meaning here (image,
// build, Dapr annotations…) is listed in `notCarried`, never silently dropped.

type Obj = Record<string, any>

export interface ImportResult {
  /** The native Function file as plain data (serialise with the yaml package). */
  native: Obj
  /** Human-readable notes on fields that were not carried over, and why. */
  notCarried: string[]
}

export function isOpenFunction (doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && String((doc as Obj).apiVersion ?? '').startsWith('core.openfunction.io/') && (doc as Obj).kind === 'Function'
}

function meta (list: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(list)) for (const m of list) if (m?.name !== undefined) out[String(m.name)] = String(m.value ?? '')
  return out
}

interface Component { name: string, type: string, metadata: Record<string, string>, operation?: string }

export function importOpenFunction (doc: Obj, handlerPath = './handler.ts'): ImportResult {
  const notCarried: string[] = []
  const spec: Obj = doc.spec ?? {}
  const serving: Obj = spec.serving ?? {}
  const name = String(doc.metadata?.name ?? 'function')
  const version = String(doc.apiVersion).split('/')[1]

  for (const key of ['image', 'imageCredentials', 'version']) if (spec[key] !== undefined) notCarried.push(`spec.${key}: no image is built; the handler runs as it is`)
  if (spec.build !== undefined) {
    const fn = spec.build.env?.FUNC_NAME
    notCarried.push(`spec.build: the ${fn !== undefined ? `function ${String(fn)} ` : 'function '}from ${String(spec.build.srcRepo?.url ?? 'its source repository')} is not imported; write it as a TypeScript handler at ${handlerPath} (see examples/logs-handler/handler.ts)`)
  }
  for (const key of ['workloadType', 'template', 'annotations', 'runtime']) if (serving[key] !== undefined) notCarried.push(`spec.serving.${key}: Kubernetes/Dapr runtime detail, not needed here`)

  // Components, inputs and outputs live in different places in the two API versions.
  let components: Component[] = []
  let inputNames: string[] = []
  let outputs: { name: string, operation?: string }[] = []
  let keda: Obj = {}
  let minReplicas: number | undefined
  let maxReplicas: number | undefined
  if (version === 'v1alpha1' || serving.openFuncAsync !== undefined) {
    const dapr: Obj = serving.openFuncAsync?.dapr ?? {}
    components = (dapr.components ?? []).map((c: Obj) => ({ name: c.name, type: c.type, metadata: meta(c.metadata) }))
    inputNames = (dapr.inputs ?? []).map((i: Obj) => i.name)
    outputs = (dapr.outputs ?? []).map((o: Obj) => ({ name: o.name, operation: o.params?.operation }))
    if (dapr.annotations !== undefined) notCarried.push('spec.serving.openFuncAsync.dapr.annotations: Dapr sidecar settings, not needed here')
    keda = serving.openFuncAsync?.keda ?? {}
    minReplicas = keda.scaledObject?.minReplicaCount
    maxReplicas = keda.scaledObject?.maxReplicaCount
  } else {
    components = Object.entries(serving.bindings ?? {}).map(([n, c]) => ({ name: n, type: (c as Obj).type, metadata: meta((c as Obj).metadata) }))
    inputNames = (serving.triggers?.dapr ?? []).map((t: Obj) => t.name)
    outputs = (serving.outputs ?? []).map((o: Obj) => ({ name: o.dapr?.name, operation: o.dapr?.operation }))
    keda = serving.scaleOptions?.keda ?? {}
    minReplicas = serving.scaleOptions?.minReplicas
    maxReplicas = serving.scaleOptions?.maxReplicas
    if (serving.pubsub !== undefined) notCarried.push('spec.serving.pubsub: pub/sub components are not supported; use a kafka input or output')
  }
  const byName = new Map(components.map(c => [c.name, c]))
  const trigger: Obj = ((keda.triggers ?? keda.scaledObject?.triggers ?? []) as Obj[]).find(t => t.type === 'kafka')?.metadata ?? {}

  const kafkaIn = inputNames.map(n => byName.get(n)).find(c => c?.type === 'bindings.kafka')
  const topics = (kafkaIn?.metadata.topics ?? trigger.topic ?? '').split(',').map((t: string) => t.trim()).filter(Boolean)
  if (topics.length > 1) notCarried.push(`input topics ${topics.join(', ')}: a function reads one topic; using ${topics[0]}`)
  if (kafkaIn?.metadata.brokers !== undefined || trigger.bootstrapServers !== undefined) {
    notCarried.push(`brokers ${kafkaIn?.metadata.brokers ?? trigger.bootstrapServers}: pass --brokers to tidewatch run (default: the embedded broker)`)
  }
  const input: Obj = { topic: topics[0] ?? 'logs', consumerGroup: kafkaIn?.metadata.consumerGroup ?? trigger.consumerGroup ?? name }
  if (trigger.offsetResetPolicy !== undefined) input.startFrom = trigger.offsetResetPolicy

  const nativeOutputs: Obj = {}
  for (const o of outputs) {
    const c = byName.get(o.name)
    if (c === undefined) { notCarried.push(`output ${o.name}: no component of that name`); continue }
    if (c.type === 'bindings.http' && c.metadata.url !== undefined) {
      const url = c.metadata.url
      nativeOutputs[o.name] = url.replace(/\/+$/, '').endsWith('/api/v2/alerts')
        ? { type: 'alertmanager', url: url.replace(/\/api\/v2\/alerts\/?$/, '') }
        : { type: 'webhook', url }
    } else if (c.type === 'bindings.kafka') {
      nativeOutputs[o.name] = { type: 'kafka', topic: c.metadata.publishTopic ?? c.metadata.topics ?? o.name }
    } else {
      notCarried.push(`output ${o.name} (${c.type}): not supported; use alertmanager, webhook, slack, kafka or log`)
    }
  }

  const scale: Obj = {}
  if (minReplicas !== undefined) scale.minReplicas = Number(minReplicas)
  if (maxReplicas !== undefined) scale.maxReplicas = Number(maxReplicas)
  if (trigger.lagThreshold !== undefined) scale.lagThreshold = Number(trigger.lagThreshold)
  if (trigger.activationLagThreshold !== undefined) scale.activationLagThreshold = Number(trigger.activationLagThreshold)
  if (keda.scaledObject?.pollingInterval !== undefined) scale.pollingInterval = Number(keda.scaledObject.pollingInterval)
  if (keda.scaledObject?.cooldownPeriod !== undefined) scale.cooldownPeriod = Number(keda.scaledObject.cooldownPeriod)
  if (keda.scaledObject?.advanced !== undefined) notCarried.push('keda.scaledObject.advanced (HPA behavior): not carried over; see the scale settings')

  return { native: { name, input, handler: handlerPath, outputs: nativeOutputs, scale }, notCarried }
}
