// Producing the agent's batches with the project's Kafka client. A produce that fails (the
// broker stopped, a connection reset) throws, and the shipper sends the batch again; the client
// is replaced after a failure, since a producer whose broker went away does not always recover
// its connections by itself.
import { KafkaClient } from '../kafka/client.js'
import { canCompressZstd } from '../protocol/record-batch/compression.js'
import type { TailRecord } from './agent.js'
import type { TailCompression } from './options.js'

export class CompressionUnavailable extends Error {}

export interface KafkaSink {
  send: (records: TailRecord[]) => Promise<void>
  close: () => Promise<void>
}

/** Throws CompressionUnavailable for zstd on a Node without zstd compression. */
export function kafkaSink (o: { bootstrap: string[], topic: string, compression: TailCompression, clientId?: string }): KafkaSink {
  if (o.compression === 'zstd' && !canCompressZstd) {
    throw new CompressionUnavailable(`zstd compression needs Node.js 22.15 or later (this is ${process.version}); use --compression lz4`)
  }
  const make = (): KafkaClient => new KafkaClient({ bootstrap: o.bootstrap, clientId: o.clientId ?? 'tidewatch-tail' })
  let client = make()
  return {
    send: async records => {
      try {
        await client.produce(records.map(r => ({ topic: o.topic, value: r.value, partition: r.partition, timestamp: r.timestamp })), { compression: o.compression })
      } catch (err) {
        const old = client
        client = make()
        void old.close(1000)
        throw err
      }
    },
    close: async () => { await client.close() }
  }
}
