// CreatePartitions (key 37): v0-3.
// - v1 only changes throttling semantics; v2+ flexible; v3 has v2's shape.
// Behaviour: a topic grows to `count` partitions (never shrinks: INVALID_PARTITIONS, as for a
// count equal to the current one). Manual assignments may only name this node
// (INVALID_REPLICA_ASSIGNMENT), one per new partition. The broker's partition limits apply
// (--max-partitions-per-topic: INVALID_PARTITIONS; --max-partitions: POLICY_VIOLATION).
// Consumers see the new partitions on their next metadata refresh.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import { decodeCreatePartitionsRequest } from '../../protocol/generated/create-partitions-request.js'
import { encodeCreatePartitionsResponse } from '../../protocol/generated/create-partitions-response.js'

registerApi({
  key: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeCreatePartitionsRequest,
  encodeResponse: encodeCreatePartitionsResponse,
  handle (ctx, req) {
    const logs = ctx.core.logs
    return {
      throttleTimeMs: 0,
      results: req.topics.map(t => {
        const fail = (errorCode: number, errorMessage: string): { name: string, errorCode: number, errorMessage: string } => ({ name: t.name, errorCode, errorMessage })
        const current = logs.getTopic(t.name)?.partitions.length ?? 0
        if (t.assignments !== null) {
          if (t.assignments.some(a => a.brokerIds.some(id => id !== NODE_ID) || a.brokerIds.length === 0)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `assignments may only name broker ${NODE_ID}, once each`)
          if (current > 0 && t.assignments.length !== t.count - current) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${t.assignments.length} assignments for ${t.count - current} new partitions`)
        }
        const problem = logs.addPartitionsProblem(t.name, t.count)
        if (problem !== null) return fail(problem.errorCode, problem.errorMessage)
        if (req.validateOnly) return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null }
        const added = logs.addPartitions(t.name, t.count)
        if (added.errorCode === ErrorCode.NONE) ctx.core.logger.info({ topic: t.name, from: current, to: t.count }, 'partitions added')
        return { name: t.name, ...added }
      })
    }
  }
})
