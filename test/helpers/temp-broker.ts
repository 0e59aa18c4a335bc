import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startBroker, type RunningBroker, type BrokerOptions } from '../../src/broker/broker.js'
import { silentLogger } from '../../src/shared/logger.js'

/** An in-process broker on a free port with its own temporary data dir, removed on close. */
export async function startTempBroker (options: Partial<BrokerOptions> = {}): Promise<RunningBroker & { dataDir: string }> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-broker-'))
  const broker = await startBroker({ logger: silentLogger(), ...options, dataDir, port: options.port ?? 0 })
  return {
    ...broker,
    host: broker.host,
    port: broker.port,
    bootstrap: broker.bootstrap,
    core: broker.core,
    dataDir,
    async close () {
      await broker.close()
      if (options.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
