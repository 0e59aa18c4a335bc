// `tidewatch up`'s collection and ingest: the project file's `tail:` block as an agent producing
// to the embedded broker or the cluster, and the shippers' ingest APIs on up's port (the same
// plugin `tidewatch ingest` serves alone). Kept out of up-command.ts.
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { tokenAuthorizes } from '../api/http-app.js'
import { TailAgent, multilineMode, type TailedFile } from '../collect/index.js'
import { kafkaSink } from '../collect/kafka-sink.js'
import type { KafkaSettings } from '../kafka/connection-settings.js'
import type { TopicStore } from '../logstore/topic-store.js'
import { answerElasticsearchRoot, ingestRoutes } from '../ingest/routes.js'
import type { ProjectConfig } from '../project/project-file.js'
import type { IngestConfig } from '../project/tail-ingest-schema.js'
import { createLogger } from '../shared/logger.js'
import { Re2Error } from '../shared/re2.js'
import { CliError } from './args.js'
import type { Shutdown } from './shutdown.js'

/**
 * The plugin mounting the ingest APIs (and the Elasticsearch answer on `GET /`, which is the
 * console's public page for browsers, so it checks the token itself).
 */
export function ingestPlugin (store: TopicStore, ingest: IngestConfig, token: string | null): (app: FastifyInstance) => Promise<void> {
  return async app => {
    answerElasticsearchRoot(app, token === null || token === '' ? null : h => tokenAuthorizes(h, token))
    await app.register(ingestRoutes, { store, topic: ingest.topic, maxBytes: ingest.maxBytes, maxRecords: ingest.maxRecords })
  }
}

/** Checks the `tail:` block's multiline setting before anything starts. */
export function checkTail (project: ProjectConfig): void {
  if (project.tail === null) return
  try { multilineMode(project.tail.multiline) } catch (err) {
    if (err instanceof Re2Error) throw new CliError(`${project.file}: tail.multiline: ${err.message}`)
    throw err
  }
}

/** Starts the `tail:` agent, if any; returns the line `up` prints about it. */
export function startUpTail (project: ProjectConfig, kafka: KafkaSettings, dataDir: string, shutdown: Shutdown): string | null {
  const t = project.tail
  if (t === null) return null
  const logger = createLogger('tail')
  const sink = kafkaSink<TailedFile>({ settings: kafka, topic: t.topic, compression: 'lz4', clientId: 'tidewatch-up-tail', logger })
  const agent = new TailAgent({
    patterns: t.paths,
    checkpoints: t.checkpoints ?? path.join(dataDir, 'tail'),
    topic: t.topic,
    format: t.format,
    multiline: t.multiline,
    maxLineBytes: t.maxLineBytes,
    readFrom: t.readFrom
  }, { send: sink.send, prepare: sink.prepare, partitions: sink.partitions, logger, multiline: multilineMode(t.multiline) })
  agent.start()
  shutdown.add('tail', async () => { await agent.stop(5000); await sink.close() })
  return `${t.paths.join(' ')} → '${t.topic}'`
}
