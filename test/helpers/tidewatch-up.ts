// `tidewatch up` as a child process on free ports, for the end-to-end and browser tests: the
// bundled logs-handler project, its console URL and broker address read from what it prints.
import path from 'node:path'
import { CLI, LineProcess, tempDir } from './processes.js'
import { waitFor } from './wait.js'

export const LOGS_HANDLER_PROJECT = path.resolve(path.dirname(CLI), '..', '..', 'examples', 'logs-handler', 'tidewatch.yaml')

export interface RunningUp { url: string, bootstrap: string, process: LineProcess, stop: () => Promise<number | null> }

/**
 * Starts `tidewatch up` on free ports. By default the bundled logs-handler project; with `cwd`
 * and no `config`, whatever ./tidewatch.yaml that folder has (as a user runs it). With
 * `externalKafka`, no --broker-port (the project or `args` name a cluster).
 */
export async function startUp (o: { token?: string, tokenFile?: string, host?: string, dataDir?: string, env?: NodeJS.ProcessEnv, cwd?: string, config?: string, externalKafka?: boolean, args?: string[] } = {}): Promise<RunningUp> {
  const dataDir = o.dataDir ?? path.join(tempDir('tidewatch-up-'), 'data')
  const config = o.config ?? (o.cwd === undefined ? LOGS_HANDLER_PROJECT : undefined)
  const args = [CLI, 'up', ...(config !== undefined ? ['--config', config] : []), '--port', '0', ...(o.externalKafka === true ? [] : ['--broker-port', '0']), '--data-dir', dataDir, ...(o.args ?? []), ...(o.token !== undefined ? ['--token', o.token] : []), ...(o.tokenFile !== undefined ? ['--token-file', o.tokenFile] : []), ...(o.host !== undefined ? ['--host', o.host] : [])]
  // The variables `up` would otherwise take from this environment are cleared.
  const up = new LineProcess(process.execPath, args, { ...process.env, ALERTMANAGER_URL: undefined, TIDEWATCH_PUBLIC_URL: undefined, SLACK_WEBHOOK_URL: undefined, TIDEWATCH_API_TOKEN: undefined, ...o.env }, { cwd: o.cwd })
  await waitFor(() => {
    if (up.child.exitCode !== null) throw new Error(`tidewatch up exited: ${up.stderr}`)
    return up.lines.some(l => l.startsWith('Ctrl-C'))
  }, { what: 'tidewatch up to print its addresses', timeoutMs: 60_000 })
  const field = (name: string): string => up.lines.find(l => l.trim().startsWith(name))!.trim().split(/\s+/)[1]
  return { url: field('console').replace(/\/$/, ''), bootstrap: field('broker'), process: up, stop: async () => await up.stop('SIGINT') }
}
