// `tidewatch deploy RULES.yaml --kubernetes`: check the rule file, render a rules workload
// (rules-workload.ts) and write it. A project file's rules: entries come here one by one.
import fs from 'node:fs'
import path from 'node:path'
import { loadRuleFile } from '../rules/file.js'
import type { DeployTarget } from './manifests.js'
import { renderRulesKubernetes, type RulesDeployment } from './rules-workload.js'

export interface RulesDeployOptions {
  file: string
  outDir: string
  target: DeployTarget
  workload: Omit<RulesDeployment, 'rulesYaml'>
  warn?: (message: string) => void
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i

export function deployRulesKubernetes (o: RulesDeployOptions): { name: string, written: string[] } {
  const rules = loadRuleFile(o.file)
  let host = ''
  try { host = new URL(o.workload.alertmanagerUrl).hostname } catch {}
  if (LOOPBACK.test(host)) o.warn?.('warning: the Alertmanager URL points at a loopback address, which inside a pod is the pod itself; give an address reachable from the cluster')
  const files = renderRulesKubernetes({ ...o.workload, rulesYaml: fs.readFileSync(o.file, 'utf8') }, o.target, path.basename(o.file))
  fs.mkdirSync(o.outDir, { recursive: true })
  const written: string[] = []
  for (const f of files) {
    const target = path.join(o.outDir, f.name)
    if (f.secret && fs.existsSync(target)) fs.chmodSync(target, 0o600)
    fs.writeFileSync(target, f.text, { mode: f.secret ? 0o600 : 0o644 })
    written.push(target)
  }
  o.warn?.(`note: ${o.workload.name}: ${rules.rules.length} rule${rules.rules.length === 1 ? '' : 's'}; internal topics ${o.workload.name}.contributions and ${o.workload.name}.state are created by the pods with the input topic's partition count`)
  return { name: o.workload.name, written }
}
