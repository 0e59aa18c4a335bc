// Produce (key 0): v0-11.
// - v0-2 carry MessageSets (magic 0/1), which this broker does not store: RecordBatch only. They
//   are still advertised, because librdkafka before 2.11 compresses with gzip, snappy and lz4
//   only when the broker's Produce range includes v0 (as Kafka 3's does), and otherwise sends
//   those batches uncompressed; a v0-2 request is answered UNSUPPORTED_VERSION for every
//   partition, and nothing of it is stored.
// - v9+ flexible; v10-11 only add tagged fields (leader discovery) that a single node leaves empty.
// Behaviour: batches are validated (magic, length, CRC-32C) and appended as sent, with only the
// base offset assigned. A write is in the OS page cache before it is acknowledged, so acks=1 and
// acks=-1 both survive a crash of the broker process; fsync follows the flush policy
// (flush.messages / flush.ms). acks=0 gets no response at all, as in Kafka. TimeoutMs is
// irrelevant: there are no replicas to wait for. Unknown topics are auto-created when allowed.
// Topic configs apply on append (LogAppendTime stamps the batch and is reported back;
// compression.type recompresses; message.timestamp.*.max.ms refuse with INVALID_TIMESTAMP); a
// topic with min.insync.replicas above 1 refuses acks=all with NOT_ENOUGH_REPLICAS, as Kafka
// does with fewer in-sync replicas than that. A compacted topic (cleanup.policy=compact) refuses
// a batch with keyless records: INVALID_RECORD, each listed in record_errors (v8+), as Kafka.
// Transactions: a request with a transactional id must carry transactional batches of the id's
// current producer id and epoch (INVALID_PRODUCER_EPOCH for a fenced one) to partitions added to
// its ongoing transaction (INVALID_TXN_STATE otherwise, as Kafka 3.6+ verifies); one without a
// transactional id may not carry transactional batches (INVALID_RECORD): a transaction no
// coordinator knows would never end, and would hold read_committed consumers back for ever.
import { registerApi } from './registry.js'
import { findOrCreateTopic } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { batchProblem, readBatchInfo } from '../../protocol/record-batch/index.js'
import { decodeProduceRequest } from '../../protocol/generated/produce-request.js'
import { encodeProduceResponse, type PartitionProduceResponseInput } from '../../protocol/generated/produce-response.js'

registerApi({
  key: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  decodeRequest: decodeProduceRequest,
  encodeResponse: encodeProduceResponse,
  handle (ctx, req, version) {
    const core = ctx.core
    if (version < 3) {
      core.logger.warn({ conn: ctx.connection.id, clientId: ctx.connection.clientId, version }, 'Produce v0-2 (MessageSet v0/v1, clients before Kafka 0.11) refused: only RecordBatch (Produce v3+) is stored')
      if (req.acks === 0) return null
      return { responses: req.topicData.map(t => ({ name: t.name, partitionResponses: t.partitionData.map(p => failed(p.index, ErrorCode.UNSUPPORTED_VERSION)) })), throttleTimeMs: 0 }
    }
    const acksValid = req.acks === -1 || req.acks === 0 || req.acks === 1
    const transactionalId = req.transactionalId
    const now = core.clock.now()
    const responses = req.topicData.map(t => {
      const { topic, errorCode: topicError } = acksValid
        ? findOrCreateTopic(core, t.name, true)
        : { topic: undefined, errorCode: ErrorCode.INVALID_REQUIRED_ACKS }
      return {
        name: t.name,
        partitionResponses: t.partitionData.map((p): PartitionProduceResponseInput => {
          const log = topic?.partitions[p.index]
          if (log === undefined) return failed(p.index, topic === undefined ? topicError : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          if (p.records === null || p.records.length === 0) return failed(p.index, ErrorCode.CORRUPT_MESSAGE)
          // One replica can never satisfy min.insync.replicas above 1 for acks=all.
          if (req.acks === -1 && log.config.minInsyncReplicas > 1) return failed(p.index, ErrorCode.NOT_ENOUGH_REPLICAS, log.logStartOffset)
          // The first batch names the producer (append checks that the others agree).
          if (transactionalId !== null && batchProblem(p.records, 0) === null) {
            const first = readBatchInfo(p.records, 0)
            const refused = core.transactions.checkProduce(transactionalId, first.producerId, first.producerEpoch, t.name, p.index)
            if (refused !== ErrorCode.NONE) return failed(p.index, refused, log.logStartOffset)
          }
          const result = log.append(p.records, now, transactionalId !== null)
          if (result.errorCode !== ErrorCode.NONE) {
            core.logger.debug({ topic: t.name, partition: p.index, errorCode: result.errorCode }, 'produce rejected')
            const refused = failed(p.index, result.errorCode, log.logStartOffset)
            if (result.recordErrors === undefined) return refused
            const shown = result.recordErrors.slice(0, 3).map(e => `${e.batchIndex}: ${e.batchIndexErrorMessage}`).join(', ')
            return { ...refused, recordErrors: result.recordErrors, errorMessage: `${result.recordErrors.length} record(s) refused (first: ${shown}) in ${t.name}-${p.index}` }
          }
          return {
            index: p.index,
            errorCode: ErrorCode.NONE,
            baseOffset: result.baseOffset,
            logAppendTimeMs: result.logAppendTime,
            logStartOffset: log.logStartOffset,
            recordErrors: [],
            errorMessage: null
          }
        })
      }
    })
    if (req.acks === 0) return null
    return { responses, throttleTimeMs: 0 }
  }
})

function failed (index: number, errorCode: number, logStartOffset = -1): PartitionProduceResponseInput {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset, recordErrors: [], errorMessage: null }
}
