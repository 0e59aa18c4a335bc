// Producing the agent's batches through the project's Kafka client: the batches' records are
// already in Kafka's format (record-sections.ts), so they are compressed, framed and sent as
// they are (kafka/batch-producer.ts). A send that fails (the broker stopped, a connection reset)
// throws, and the shipper sends the batch again; the client is replaced after a failure, since
// a client whose broker went away does not always recover its connections by itself.
import { KafkaClient, ProduceRefused, type BatchProducer } from '../kafka/client.js'
import type { KafkaSettings } from '../kafka/connection-settings.js'
import { buildBatch, canCompressZstd, CODEC_NAMES, decodeBatch } from '../protocol/record-batch/index.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { Logger } from '../shared/logger.js'
import { sleep } from '../shared/sleep.js'
import { systemClock } from '../shared/clock.js'
import type { Batch } from './shipper.js'
import type { TailCompression } from './options.js'

export class CompressionUnavailable extends Error {}

const TOO_LARGE = new Set<number>([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE])

export interface KafkaSink<F> {
  /** Resolves once stored, with the number of records refused for good (see sendSplit). */
  send: (batch: Batch<F>) => Promise<number>
  /** Builds (compresses) a batch ahead of its send. */
  prepare: (batch: Batch<F>) => void
  /** The topic's partition count as last known; null until the cluster answered once. */
  partitions: () => number | null
  close: () => Promise<void>
}

/** Throws CompressionUnavailable for zstd on a Node without zstd compression. */
export function kafkaSink<F> (o: { settings: KafkaSettings, topic: string, compression: TailCompression, clientId?: string, logger: Logger }): KafkaSink<F> {
  if (o.compression === 'zstd' && !canCompressZstd) {
    throw new CompressionUnavailable(`zstd compression needs Node.js 22.15 or later (this is ${process.version}); use --compression lz4`)
  }
  const codec = CODEC_NAMES.indexOf(o.compression)
  const make = (): KafkaClient => new KafkaClient({ settings: o.settings, clientId: o.clientId ?? 'tidewatch-tail' })
  let client = make()
  let partitions: number | null = null
  const closed = new AbortController()
  const replace = (): void => {
    const old = client
    client = make()
    void old.close(1000)
  }
  // The partition count decides where each record goes, so it is asked for before the first
  // record is written (reading waits until the cluster answers), and kept from then on.
  void (async () => {
    for (let attempt = 1; !closed.signal.aborted && partitions === null; attempt++) {
      try { partitions = await client.batchProducer().partitions(o.topic) } catch (err) {
        if (attempt === 1 || attempt % 20 === 0) o.logger.warn({ err: (err as Error).message, topic: o.topic }, 'cannot read the topic\'s metadata yet; reading waits')
        replace()
        await sleep(systemClock, Math.min(5000, 100 * 2 ** attempt), closed.signal)
      }
    }
  })()
  // A partition's batch over the topic's max.message.bytes is sent again in halves; a single
  // record over it can never be stored, and waiting for it would stop the agent for good, so it
  // is logged (with the limit to change) and counted instead.
  const sendSplit = async (producer: BatchProducer, partition: number, batch: Buffer, acc: { refused: number }): Promise<void> => {
    const records = decodeBatch(batch).records
    if (records.length <= 1) {
      o.logger.error({ topic: o.topic, partition, bytes: batch.length }, 'a record is larger than the topic accepts (max.message.bytes) and is not stored; lower --max-line-bytes, or raise the topic\'s max.message.bytes')
      acc.refused += records.length
      return
    }
    const half = Math.ceil(records.length / 2)
    for (const part of [records.slice(0, half), records.slice(half)]) {
      const smaller = buildBatch(part.map(r => ({ value: r.value, timestamp: r.timestamp })), { compression: codec })
      await sendWhole(producer, new Map([[partition, smaller]]), new Set(), acc)
    }
  }
  const sendWhole = async (producer: BatchProducer, batches: Map<number, Buffer>, done: Set<number>, acc: { refused: number }): Promise<void> => {
    for (;;) {
      try {
        await producer.send(o.topic, batches, done)
        return
      } catch (err) {
        if (!(err instanceof ProduceRefused) || !TOO_LARGE.has(err.errorCode)) throw err
        await sendSplit(producer, err.partition, batches.get(err.partition)!, acc)
        done.add(err.partition)
      }
    }
  }
  return {
    send: async batch => {
      batch.built ??= batch.sections.build(codec)
      try {
        const producer = client.batchProducer()
        await sendWhole(producer, batch.built, batch.done, batch)
        partitions = producer.knownPartitions(o.topic) ?? partitions
        return batch.refused
      } catch (err) {
        replace()
        throw err
      }
    },
    prepare: batch => { batch.built ??= batch.sections.build(codec) },
    partitions: () => partitions,
    close: async () => { closed.abort(); await client.close() }
  }
}
