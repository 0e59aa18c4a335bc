import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { LineProcess, tempDir } from './processes.js'
import { waitFor } from './wait.js'

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** A real Prometheus Alertmanager (Debian's), on a free port with its own data dir. */
export class Alertmanager {
  readonly url: string
  readonly #proc: LineProcess
  readonly #dir: string
  readonly port: number

  private constructor (proc: LineProcess, dir: string, port: number) {
    this.#proc = proc
    this.#dir = dir
    this.port = port
    this.url = `http://127.0.0.1:${port}`
  }

  static async start (port?: number, dir = tempDir('tidewatch-am-')): Promise<Alertmanager> {
    const p = port ?? await freePort()
    const config = path.join(dir, 'alertmanager.yml')
    fs.writeFileSync(config, 'route:\n  receiver: devnull\nreceivers:\n  - name: devnull\n')
    const proc = new LineProcess('prometheus-alertmanager', [
      `--config.file=${config}`, `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${p}`, '--cluster.listen-address='
    ])
    const am = new Alertmanager(proc, dir, p)
    await waitFor(async () => (await fetch(`${am.url}/-/ready`)).ok, { what: 'Alertmanager to be ready', timeoutMs: 30_000 })
    return am
  }

  async alerts (): Promise<{ labels: Record<string, string>, annotations: Record<string, string>, generatorURL: string, startsAt: string }[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`)
    return await res.json() as any
  }

  /** Stops the process; the data dir is kept unless `removeData`. */
  async stop (removeData = true): Promise<void> {
    await this.#proc.stop('SIGTERM')
    if (removeData) fs.rmSync(this.#dir, { recursive: true, force: true })
  }

  get dataDir (): string { return this.#dir }
}
