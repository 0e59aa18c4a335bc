// `tidewatch deploy RULES.yaml --kubernetes`: check the rule file, render a rules workload
// (rules-workload.ts) and write it. A project file's rules: entries come here one by one.
import fs from 'node:fs'
import path from 'node:path'
import type { KafkaSettings } from '../kafka/connection-settings.js'
import { loadRuleFile } from '../rules/file.js'
import { kafkaAuth } from './kafka-auth.js'
import type { DeployTarget } from './manifests.js'
import { renderRulesKubernetes, type RulesDeployment } from './rules-workload.js'
import { credentialsNote, writeRenderedFiles } from './write-files.js'

export interface RulesDeployOptions {
  file: string
  outDir: string
  target: Omit<DeployTarget, 'brokers'>
  /** Where the pods and KEDA connect (resolved by the caller: flags, environment, project file). */
  kafka: KafkaSettings
  workload: Omit<RulesDeployment, 'rulesYaml'>
  warn?: (message: string) => void
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i

export function deployRulesKubernetes (o: RulesDeployOptions): { name: string, written: string[], credentialsNote: string | null } {
  const rules = loadRuleFile(o.file)
  let host = ''
  try { host = new URL(o.workload.alertmanagerUrl).hostname } catch {}
  if (LOOPBACK.test(host)) o.warn?.('warning: the Alertmanager URL points at a loopback address, which inside a pod is the pod itself; give an address reachable from the cluster')
  const kafka = kafkaAuth(o.kafka, o.target)
  const target: DeployTarget = { ...o.target, brokers: o.kafka.brokers.join(',') }
  const files = renderRulesKubernetes({ ...o.workload, rulesYaml: fs.readFileSync(o.file, 'utf8') }, target, path.basename(o.file), kafka)
  const written = writeRenderedFiles(o.outDir, files)
  o.warn?.(`note: ${o.workload.name}: ${rules.rules.length} rule${rules.rules.length === 1 ? '' : 's'}; internal topics ${o.workload.name}.contributions and ${o.workload.name}.state are created by the pods with the input topic's partition count`)
  return { name: o.workload.name, written, credentialsNote: credentialsNote(files) }
}
