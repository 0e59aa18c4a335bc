// `tidewatch run FUNCTION.yaml` as a child process on free ports (embedded broker, HTTP API), for
// the scaling tests and bench: its addresses read from what it prints, its API read as a user would.
import type { FunctionStatus } from '../../src/scaling/function-controller.js'
import type { ScalingEvent } from '../../src/scaling/events.js'
import { CLI, LineProcess } from './processes.js'
import { waitFor } from './wait.js'

export class RunningFunction {
  protected constructor (readonly proc: LineProcess, readonly api: string, readonly bootstrap: string) {}

  /** Starts `tidewatch run FILE --port 0 --data-dir DIR ARGS…` (and `--broker-port 0` unless ARGS name --brokers) and waits until it is ready. */
  static async launch (file: string, dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ proc: LineProcess, api: string, bootstrap: string }> {
    const embedded = args.includes('--brokers') ? [] : ['--broker-port', '0']
    const proc = new LineProcess(process.execPath, [CLI, 'run', file, ...embedded, '--port', '0', '--data-dir', dataDir, ...args], env)
    await waitFor(() => {
      if (proc.child.exitCode !== null) throw new Error(`tidewatch run exited: ${proc.stderr}`)
      return proc.lines.some(l => l.startsWith('  API '))
    }, { what: 'tidewatch run to be ready', timeoutMs: 60_000 })
    const field = (prefix: string): string => proc.lines.find(l => l.startsWith(prefix))!.trim().split(/\s+/)[1]
    return { proc, api: field('  API '), bootstrap: field('  broker ') }
  }

  static async start (file: string, dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningFunction> {
    const { proc, api, bootstrap } = await RunningFunction.launch(file, dataDir, args, env)
    return new RunningFunction(proc, api, bootstrap)
  }

  /** The (first) function's status from GET /api/v1/functions. */
  async status (): Promise<FunctionStatus> {
    const res = await fetch(`${this.api}/api/v1/functions`)
    return ((await res.json()) as { functions: FunctionStatus[] }).functions[0]
  }

  async events (): Promise<ScalingEvent[]> {
    const res = await fetch(`${this.api}/api/v1/events?limit=1000`)
    return ((await res.json()) as { events: ScalingEvent[] }).events
  }

  /** Pids of the replica processes started so far (from the supervisor's log lines). */
  replicaPids (): number[] {
    return this.proc.stderr.split('\n').filter(l => l.includes('"replica process started"')).map(l => (JSON.parse(l) as { pid: number }).pid)
  }
}
