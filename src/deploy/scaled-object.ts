// The KEDA ScaledObject that scales a function's Deployment on consumer-group lag. The Function
// file's `scale` block uses KEDA's names and defaults, so the mapping is one to one: the same
// file means the same scaling locally (tidewatch run) and on Kubernetes.
import type { FunctionConfig } from '../functions/config/load.js'
import { manifestMetadata, type DeployTarget, type Manifest } from './manifests.js'

/**
 * The `kafka` trigger's metadata. KEDA's CRD types every metadata value as a string (the scaler
 * parses them itself), so numbers and booleans are written as their text.
 */
export function kafkaTriggerMetadata (config: Pick<FunctionConfig, 'input' | 'scale'>, brokers: string): Record<string, string> {
  const { input, scale } = config
  return {
    bootstrapServers: brokers,
    consumerGroup: input.consumerGroup,
    // Always set: without a topic KEDA sums the lag of every topic the group has offsets for.
    topic: input.topic,
    lagThreshold: String(scale.lagThreshold),
    activationLagThreshold: String(scale.activationLagThreshold),
    // Where KEDA assumes a group with no committed offset starts: the same place the replica starts.
    offsetResetPolicy: input.startFrom,
    allowIdleConsumers: String(scale.allowIdleConsumers),
    limitToPartitionsWithLag: String(scale.limitToPartitionsWithLag)
  }
}

/** How KEDA authenticates to Kafka (kafka-auth.ts): a TriggerAuthentication and trigger metadata. */
export interface TriggerAuth {
  authenticationRef: { name: string } | null
  triggerMetadata: Record<string, string>
}

/**
 * keda.sh/v1alpha1 ScaledObject `<name>` targeting the Deployment `<name>` (a function's or a
 * rules workload's), its bootstrap servers from `target.brokers`.
 */
export function scaledObjectManifest (config: Pick<FunctionConfig, 'input' | 'scale'>, target: DeployTarget, auth: TriggerAuth = { authenticationRef: null, triggerMetadata: {} }): Manifest {
  const { scale } = config
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: manifestMetadata(target.name, target),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
      pollingInterval: scale.pollingInterval,
      cooldownPeriod: scale.cooldownPeriod,
      minReplicaCount: scale.minReplicas,
      maxReplicaCount: scale.maxReplicas,
      advanced: {
        // 1↔N is the HPA that KEDA creates; this is its scale-down stabilisation window, which
        // keeps a dip in lag from removing replicas (and rebalancing the group) too eagerly.
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: scale.scaleDownStabilization } }
        }
      },
      triggers: [{
        type: 'kafka',
        metadata: { ...kafkaTriggerMetadata(config, target.brokers), ...auth.triggerMetadata },
        ...(auth.authenticationRef !== null ? { authenticationRef: auth.authenticationRef } : {})
      }]
    }
  }
}
