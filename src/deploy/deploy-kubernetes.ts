// `tidewatch deploy --kubernetes`: load and check the function, bundle its handler, render the
// manifests and write them. The mapping itself is in the pure modules next to this one.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, ConfigSource, loadFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { HandlerLoadError, loadHandler } from '../functions/loader.js'
import type { KafkaLayer } from '../kafka/connection-settings.js'
import { bundleHandler } from './bundle-handler.js'
import { clusterFunctionFile, doubleSubstitutions, loopbackOutputs } from './function-file.js'
import { kafkaAuth, resolveDeployKafka } from './kafka-auth.js'
import { CONFIGMAP_MAX_BYTES, configMapDataBytes, FUNCTION_FILE_KEY, HANDLER_FILE_KEY } from './manifests.js'
import { functionFileYaml, renderKubernetes } from './render-kubernetes.js'
import { credentialsNote, writeRenderedFiles } from './write-files.js'

export interface KubernetesDeployOptions {
  /** The Function file. */
  file: string
  outDir: string
  /**
   * The Kafka connection settings above the Function file's kafka: block, highest first (the
   * command line's, then the environment's): where the pods and KEDA connect, and how.
   */
  kafka: KafkaLayer[]
  image: string
  namespace?: string
  /** For notes and warnings (stderr); never given a secret value. */
  warn?: (message: string) => void
}

export interface KubernetesDeployResult {
  name: string
  /** Paths of the files written, in the order written. */
  written: string[]
}


export async function deployKubernetes (opts: KubernetesDeployOptions): Promise<KubernetesDeployResult> {
  const warn = opts.warn ?? (() => {})
  const config = loadFunctionConfig(opts.file)
  for (const note of config.notCarried) warn(`note: ${note}`)
  for (const name of loopbackOutputs(config)) {
    warn(`warning: output '${name}' points at a loopback address, which inside a pod is the pod itself; set its URL to an address reachable from the cluster`)
  }

  // Before bundling: a setting that cannot be rendered stops deploy before any slow work.
  const settings = resolveDeployKafka([...opts.kafka, config.kafka])
  const kafka = kafkaAuth(settings, { name: config.name, namespace: opts.namespace })
  for (const w of kafka.warnings) warn(w)

  const cluster = clusterFunctionFile(config)
  const twice = doubleSubstitutions(cluster)
  if (twice.length > 0) {
    const source = new ConfigSource(opts.file, fs.readFileSync(opts.file, 'utf8'))
    throw new ConfigError(twice.map(at => source.problem(at, 'after substitution the value still contains ${…}, which the replica would substitute again; change the environment variable it came from')))
  }
  const functionYaml = functionFileYaml(cluster.document)
  const room = CONFIGMAP_MAX_BYTES - configMapDataBytes({ [FUNCTION_FILE_KEY]: functionYaml, [HANDLER_FILE_KEY]: '' })
  const bundle = await bundleHandler(config.handler.path, { maxBytes: room })
  for (const w of bundle.warnings) warn(`warning: ${w}`)
  await loadBundledHandler(config, bundle.code)

  const files = renderKubernetes({
    config,
    target: { name: config.name, namespace: opts.namespace, image: opts.image, brokers: settings.brokers.join(',') },
    functionYaml,
    handlerCode: bundle.code,
    secrets: cluster.secrets,
    source: path.basename(opts.file),
    kafka
  })
  const written = writeRenderedFiles(opts.outDir, files)
  warn(`note: the pods and KEDA connect to ${kafka.description} (brokers from ${settings.from.brokers ?? 'the file'})`)
  const note = credentialsNote(files)
  if (note !== null) warn(note)
  return { name: config.name, written }
}

/**
 * Loads the bundle as a replica will, so a handler that cannot load, exports no handler, or sends
 * to an output the Function file lacks fails here rather than in every pod. The bundle (not the
 * source) is loaded: it is what the pods run, and it needs no `tidewatch` package to resolve.
 */
async function loadBundledHandler (config: FunctionConfig, code: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-deploy-'))
  const bundled = path.join(dir, HANDLER_FILE_KEY)
  try {
    fs.writeFileSync(bundled, code)
    await loadHandler({ ...config, handler: { ...config.handler, path: bundled } })
  } catch (err) {
    if (!(err instanceof HandlerLoadError)) throw err
    throw new HandlerLoadError(err.message.replaceAll(bundled, `${config.handler.path} (bundled)`), { cause: err })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
