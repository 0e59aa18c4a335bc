// The stack the console runs on, in this process: embedded broker, the logs-handler function
// under the autoscaler, the notifier (the project's routing) and the log store, on one API
// server with the console mounted — the parts `tidewatch up` wires, with the console plugin
// added. Used by the console's browser test until `tidewatch up` mounts the console itself.
import path from 'node:path'
import { startBroker } from '../../src/broker/broker.js'
import { loadFunctionConfig } from '../../src/functions/config/load.js'
import { startApiServer } from '../../src/api/server.js'
import { Notifier, notifierPlugin } from '../../src/notifier/index.js'
import { logStoreRoutes } from '../../src/logstore/routes.js'
import { EventLog } from '../../src/scaling/events.js'
import { EmbeddedOffsetsSource } from '../../src/scaling/offsets-source.js'
import { Supervisor } from '../../src/scaling/supervisor.js'
import { silentLogger } from '../../src/shared/logger.js'
import { loadProjectFile } from '../../src/project/project-file.js'
import { loadProjectNotifierConfig } from '../../src/cli/up-notifier.js'
import { consolePlugin } from '../../src/console/routes.js'
import { CLI } from './processes.js'

export const LOGS_HANDLER_PROJECT = path.resolve(path.dirname(CLI), '..', '..', 'examples', 'logs-handler', 'tidewatch.yaml')

export interface ConsoleStack { url: string, bootstrap: string, close: () => Promise<void> }

export async function startConsoleStack (dataDir: string, o: { token?: string } = {}): Promise<ConsoleStack> {
  const logger = silentLogger()
  const project = loadProjectFile(LOGS_HANDLER_PROJECT)
  const functions = project.functions.map(f => loadFunctionConfig(f))
  const broker = await startBroker({ dataDir: path.join(dataDir, 'broker'), port: 0, defaultPartitions: project.broker.partitions, logger })
  const notifier = await Notifier.start({ config: loadProjectNotifierConfig(project.notifier, undefined), dataDir: path.join(dataDir, 'notifier'), logger })
  const events = new EventLog({ file: path.join(dataDir, 'events.jsonl') })
  const supervisor = new Supervisor({ bootstrap: broker.bootstrap, source: new EmbeddedOffsetsSource(broker.core), events, logger })
  for (const f of functions) supervisor.add(f)
  const api = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    token: o.token ?? null,
    logger,
    functions: () => supervisor.functions(),
    events,
    plugins: [
      notifierPlugin(notifier),
      async app => { await app.register(logStoreRoutes, { core: broker.core }) },
      consolePlugin({ notifier })
    ]
  })
  notifier.externalURL = api.url
  // Replicas are child processes and read these from their environment.
  const saved = { am: process.env.ALERTMANAGER_URL, pub: process.env.TIDEWATCH_PUBLIC_URL }
  process.env.ALERTMANAGER_URL = api.url
  process.env.TIDEWATCH_PUBLIC_URL = api.url
  await supervisor.start()
  return {
    url: api.url,
    bootstrap: broker.bootstrap,
    close: async () => {
      await supervisor.stop()
      await api.close()
      await notifier.close()
      await broker.close()
      restoreEnv('ALERTMANAGER_URL', saved.am)
      restoreEnv('TIDEWATCH_PUBLIC_URL', saved.pub)
    }
  }
}

function restoreEnv (name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
