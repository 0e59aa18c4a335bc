// Manifest objects → the files of a kustomization directory, as text. Pure: the caller bundles
// the handler before and writes the files after.
import { createHash } from 'node:crypto'
import { Document, stringify } from 'yaml'
import type { FunctionConfig } from '../functions/config/load.js'
import type { ClusterFunctionFile } from './function-file.js'
import { DOCKERFILE } from './dockerfile.js'
import {
  configMapManifest, deploymentManifest, FUNCTION_FILE_KEY, HANDLER_FILE_KEY, kustomizationManifest,
  secretManifest, secretName, type DeployTarget, type Manifest
} from './manifests.js'
import { scaledObjectManifest } from './scaled-object.js'
import { KAFKA_SECRET_FILE, NO_KAFKA_AUTH, TRIGGER_AUTH_FILE, type KafkaAuth } from './kafka-auth.js'

export interface RenderedFile {
  name: string
  text: string
  /** Holds secret values: written readable by the owner only. */
  secret: boolean
}

/** The four manifests every workload has. */
export const MANIFEST_FILES = ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'scaledobject.yaml'] as const

/** A workload's manifests (a function's or a rules workload's). */
export interface WorkloadManifests {
  configMap: Manifest
  secret: Manifest
  deployment: Manifest
  scaledObject: Manifest
}

/**
 * The files of a workload's directory: the manifests in the order `kubectl apply` should create
 * them (each Secret before what refers to it), with the Kafka Secret and TriggerAuthentication
 * when the cluster needs them, then kustomization.yaml listing them and the Dockerfile.
 */
export function workloadFiles (m: WorkloadManifests, kafka: Pick<KafkaAuth, 'secret' | 'triggerAuthentication'>, source: string): RenderedFile[] {
  const files: RenderedFile[] = []
  const add = (name: string, manifest: Manifest | null, secret = false): void => {
    if (manifest !== null) files.push({ name, text: manifestYaml(manifest, source), secret })
  }
  add('configmap.yaml', m.configMap)
  add('secret.yaml', m.secret, true)
  add(KAFKA_SECRET_FILE, kafka.secret, true)
  add('deployment.yaml', m.deployment)
  add(TRIGGER_AUTH_FILE, kafka.triggerAuthentication)
  add('scaledobject.yaml', m.scaledObject)
  return [
    ...files,
    { name: 'kustomization.yaml', text: manifestYaml(kustomizationManifest(files.map(f => f.name)), source), secret: false },
    { name: 'Dockerfile', text: DOCKERFILE, secret: false }
  ]
}

/** The Function file the replica reads from the ConfigMap. */
export function functionFileYaml (doc: ClusterFunctionFile): string {
  const yaml = new Document(doc, { aliasDuplicateObjects: false })
  yaml.commentBefore = ` Rendered by tidewatch deploy. \${TIDEWATCH_SECRET_<N>} values come from the Secret ${secretName(doc.name)}.`
  return yaml.toString({ lineWidth: 0 })
}

/**
 * Kubernetes reads manifests as YAML 1.1, where an unquoted `yes`, `on` or `0755` is not a
 * string; written with the 1.1 schema, such strings get quotes and stay strings.
 */
export function manifestYaml (manifest: Manifest, source: string): string {
  return `# Rendered by tidewatch deploy from ${source}; render again rather than editing.\n` +
    stringify(manifest, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })
}

export interface KubernetesInputs {
  config: FunctionConfig
  target: DeployTarget
  /** From functionFileYaml. */
  functionYaml: string
  /** The bundled handler module. */
  handlerCode: string
  /** TIDEWATCH_SECRET_<N> → value. */
  secrets: Record<string, string>
  /** How the source Function file is named in the comments (no machine paths). */
  source: string
  /** How the pods and KEDA authenticate to Kafka (none by default). */
  kafka?: KafkaAuth
}

/** Every file of the output directory: the manifests, kustomization.yaml and the Dockerfile. */
export function renderKubernetes (inputs: KubernetesInputs): RenderedFile[] {
  const { config, target, source } = inputs
  const kafka = inputs.kafka ?? NO_KAFKA_AUTH
  const data = { [FUNCTION_FILE_KEY]: inputs.functionYaml, [HANDLER_FILE_KEY]: inputs.handlerCode }
  const configHash = createHash('sha256').update(JSON.stringify(data)).digest('hex')
  return workloadFiles({
    configMap: configMapManifest(target, data),
    secret: secretManifest(target, inputs.secrets),
    deployment: deploymentManifest(config, target, configHash, kafka.pod),
    scaledObject: scaledObjectManifest(config, target, kafka)
  }, kafka, source)
}
