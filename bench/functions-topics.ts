// The topics bench:functions reads, and what the consumer holds in memory while it reads them.
import fs from 'node:fs'
import path from 'node:path'
import { Producer } from '@platformatic/kafka'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { CODEC_NAMES, forEachBatch, readBatchInfo } from '../src/protocol/record-batch/index.js'
import { run } from '../test/helpers/processes.js'

/**
 * Produces `lines` to `topic` with `codec`. kcat for none and zstd; gzip, snappy and lz4 through
 * @platformatic/kafka, in batches of 2000 records to one partition at a time, about the size of
 * kcat's. (These rows were measured when the broker's Produce versions started at 3, to which
 * librdkafka before 2.11 sends those codecs uncompressed; it now advertises v0 as Kafka 3 does.)
 */
export async function produceTopic (bootstrap: string, topic: string, file: string, codec: string, partitions = 10): Promise<void> {
  if (codec === 'none' || codec === 'zstd') {
    const r = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-z', codec, '-l', file], { timeoutMs: 600_000 })
    if (r.code !== 0) throw new Error(r.stderr)
    return
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l !== '')
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], compression: codec as 'gzip' | 'snappy' | 'lz4', autocreateTopics: true })
  try {
    for (let i = 0, n = 0; i < lines.length; i += 2000, n++) {
      await producer.send({ messages: lines.slice(i, i + 2000).map(value => ({ topic, value: Buffer.from(value), partition: n % partitions })) })
    }
  } finally {
    await producer.close()
  }
}

/** What the broker stored for `topic`: codecs and the average batch size. */
export function storedBatches (dataDir: string, topic: string): string {
  const codecs = new Set<string>()
  let batches = 0
  let bytes = 0
  const dir = path.join(dataDir, 'topics', topic)
  for (const p of fs.readdirSync(dir).filter(d => /^\d+$/.test(d))) {
    for (const f of fs.readdirSync(path.join(dir, p)).filter(f => f.endsWith('.log'))) {
      forEachBatch(fs.readFileSync(path.join(dir, p, f)), b => { codecs.add(CODEC_NAMES[readBatchInfo(b, 0).compression]); batches++; bytes += b.length })
    }
  }
  return `${batches} batches of ${[...codecs].join('+')}, ${(bytes / batches / 1024).toFixed(0)} KiB on average (${(bytes / 1048576).toFixed(0)} MiB)`
}

export interface MemoryProbe {
  /** Per poll (one batch handed to the handler): fetched bytes it covered and bytes decompressed for it. */
  meanBatchBytes: number
  maxBatchBytes: number
  meanRecords: number
  /** Fetched responses waiting to be handed out, at most. */
  peakBufferedBytes: number
}

/**
 * The consumer the replica uses, in this process, polling `topic` as the replica does (the
 * reference prefilter, batches of up to 500 matching records): how much one batch in flight
 * holds — the fetched batches it was read from plus their decompressed records — and how much
 * is fetched ahead of it.
 */
export async function probeMemory (bootstrap: string, topic: string, records: number): Promise<MemoryProbe> {
  const kafka = new KafkaClient({ settings: plaintextSettings([bootstrap]), clientId: 'bench-memory' })
  const sub = await kafka.subscribe({ groupId: `bench-memory-${topic}`, topics: [topic], startFrom: 'earliest' })
  const sizes: number[] = []
  let handed = 0
  let scanned = 0
  try {
    while (scanned < records) {
      const polled = await sub.poll({ maxRecords: 500, maxWaitMs: 1000, needles: [Buffer.from(' 404 ')] })
      scanned += polled.scanned
      if (polled.fetchedBytes + polled.decompressedBytes === 0) continue
      sizes.push(polled.fetchedBytes + polled.decompressedBytes)
      handed += polled.records.length
    }
  } finally {
    await sub.close()
    await kafka.close()
  }
  return {
    meanBatchBytes: sizes.reduce((a, b) => a + b, 0) / sizes.length,
    maxBatchBytes: Math.max(...sizes),
    meanRecords: handed / sizes.length,
    peakBufferedBytes: sub.memory.peakBufferedBytes
  }
}
