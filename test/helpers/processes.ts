import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Debian's python: the one that can import python3-confluent-kafka (a pyenv python3 may come first on PATH). */
export const PYTHON = '/usr/bin/python3'

// Tests are compiled to dist-test/test/*.js, with their own copy of the CLI in dist-test/src/cli.js.
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js')

export function tempDir (prefix = 'tidewatch-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface RunResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Runs a command to completion (killed after `timeoutMs`), feeding `input` on stdin. */
export function run (cmd: string, args: string[], opts: { input?: string | Buffer, timeoutMs?: number, env?: NodeJS.ProcessEnv, cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', d => out.push(d))
    child.stderr.on('data', d => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() })
    })
    // A command that exits before reading all its input (kcat on an unknown topic) must not
    // turn the write into an unhandled EPIPE.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** A long-running child whose stdout lines are collected as they arrive. */
export class LineProcess {
  readonly child: ChildProcess
  readonly lines: string[] = []
  stderr = ''
  readonly exited: Promise<number | null>
  #partial = ''

  constructor (cmd: string, args: string[], env?: NodeJS.ProcessEnv, opts: { cwd?: string } = {}) {
    this.child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd })
    this.child.stdout!.on('data', (d: Buffer) => {
      const text = this.#partial + d.toString()
      const parts = text.split('\n')
      this.#partial = parts.pop()!
      this.lines.push(...parts)
    })
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => this.child.on('close', code => resolve(code)))
    this.child.on('exit', (code, signal) => { this.#exitedAs = `exited (code ${code}, signal ${signal})` })
  }

  #exitedAs: string | null = null

  /**
   * Sends `signal` and waits for the exit. A process that has not exited after `graceMs` is
   * killed (so a stuck shutdown fails its test instead of hanging the suite) and the stop
   * rejects, saying so.
   */
  async stop (signal: NodeJS.Signals = 'SIGTERM', graceMs = 90_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const stuck = new Promise<'stuck'>(resolve => { timer = setTimeout(() => resolve('stuck'), graceMs) })
    const result = await Promise.race([this.exited, stuck])
    clearTimeout(timer)
    if (result === 'stuck') {
      // "exited" here means the process itself ended but something it started still holds its
      // stdout or stderr open (an orphan).
      const state = this.#exitedAs ?? 'still running'
      this.child.kill('SIGKILL')
      await this.exited
      throw new Error(`${this.child.spawnargs.slice(1, 4).join(' ')} did not close its output within ${graceMs} ms of ${signal} (the process itself: ${state}); killed. Its stdout ends: ${this.lines.slice(-15).join('\n')}\nIts stderr ends: ${this.stderr.slice(-3000)}`)
    }
    return result
  }
}

/** The broker CLI as a child process (for crash tests: kill -9 and restart on the same data dir). */
export class BrokerProcess extends LineProcess {
  port = 0

  static async start (dataDir: string, extraArgs: string[] = []): Promise<BrokerProcess> {
    const b = new BrokerProcess(process.execPath, ['--enable-source-maps', CLI, 'broker', '--port', '0', '--data-dir', dataDir, ...extraArgs])
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const line = b.lines.find(l => l.startsWith('tidewatch broker listening on '))
      if (line !== undefined) {
        b.port = Number(line.slice(line.lastIndexOf(':') + 1))
        return b
      }
      if (b.child.exitCode !== null) throw new Error(`broker exited with ${b.child.exitCode}: ${b.stderr}`)
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    await b.stop('SIGKILL')
    throw new Error(`broker did not start: ${b.stderr}`)
  }

  get bootstrap (): string { return `127.0.0.1:${this.port}` }
}
