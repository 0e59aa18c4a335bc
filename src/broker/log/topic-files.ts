// What a topic directory on disk holds, judged before anything is opened, and the partition
// limits a new topic must respect. Pure decisions returning a reason; LogManager acts on them.
import fs from 'node:fs'
import path from 'node:path'
import { ErrorCode } from '../../protocol/error-codes.js'

export interface TopicFile { name: string, topicId: string, partitions: number, configs: Record<string, string> }

export interface PartitionLimits {
  /** Partitions one topic may have (INVALID_PARTITIONS above). */
  maxPartitionsPerTopic: number
  /** Partitions of all topics together (POLICY_VIOLATION above). */
  maxPartitions: number
}

/** Why a topic of `requested` partitions may not be created next to `existing` ones, or null. */
export function partitionLimitProblem (requested: number, existing: number, limits: PartitionLimits): { errorCode: number, errorMessage: string } | null {
  if (!Number.isInteger(requested) || requested < 1) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `number of partitions must be at least 1, got ${requested}` }
  }
  if (requested > limits.maxPartitionsPerTopic) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `${requested} partitions exceed the limit of ${limits.maxPartitionsPerTopic} per topic (raise it with --max-partitions-per-topic)` }
  }
  if (existing + requested > limits.maxPartitions) {
    return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `${requested} more partitions would make ${existing + requested} on this broker, over its limit of ${limits.maxPartitions} (raise it with --max-partitions)` }
  }
  return null
}

export type TopicDir =
  | { kind: 'meta', meta: TopicFile }
  /** No topic.json and no stored data: a creation that stopped before it completed. */
  | { kind: 'unfinished' }
  | { kind: 'damaged', problem: string }

/** Reads and checks `<dir>/topic.json` for the topic named by the directory. */
export function readTopicDir (dir: string, name: string): TopicDir {
  const file = path.join(dir, 'topic.json')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return holdsData(dir) ? { kind: 'damaged', problem: 'topic.json is missing but partitions hold data' } : { kind: 'unfinished' }
    return { kind: 'damaged', problem: `cannot read topic.json: ${(err as Error).message}` }
  }
  let meta: Partial<TopicFile>
  try {
    meta = JSON.parse(text)
  } catch {
    return { kind: 'damaged', problem: 'topic.json is not valid JSON' }
  }
  if (meta === null || typeof meta !== 'object') return { kind: 'damaged', problem: 'topic.json is not an object' }
  if (meta.name !== name) return { kind: 'damaged', problem: `topic.json names topic '${String(meta.name)}'` }
  if (typeof meta.topicId !== 'string' || meta.topicId === '') return { kind: 'damaged', problem: 'topic.json has no topicId' }
  if (!Number.isInteger(meta.partitions) || meta.partitions! < 1) return { kind: 'damaged', problem: `topic.json has partitions ${String(meta.partitions)}` }
  const configs = meta.configs ?? {}
  if (typeof configs !== 'object' || Object.values(configs).some(v => typeof v !== 'string')) return { kind: 'damaged', problem: 'topic.json has malformed configs' }
  return { kind: 'meta', meta: { name, topicId: meta.topicId, partitions: meta.partitions!, configs } }
}

/** Whether any partition directory under `dir` has a non-empty segment. */
function holdsData (dir: string): boolean {
  let entries: string[]
  try { entries = fs.readdirSync(dir) } catch { return false }
  for (const p of entries) {
    let files: string[]
    try { files = fs.readdirSync(path.join(dir, p)) } catch { continue }
    for (const f of files) {
      if (!f.endsWith('.log')) continue
      try {
        if (fs.statSync(path.join(dir, p, f)).size > 0) return true
      } catch {
        return true // unreadable: assume it holds data, and keep it
      }
    }
  }
  return false
}

/** Writes `file` through a temporary file, fsynced and renamed into place, then fsyncs the directory. */
export function writeFileDurably (file: string, text: string): void {
  const tmp = file + '.tmp'
  const fd = fs.openSync(tmp, 'w')
  try {
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  const dirFd = fs.openSync(path.dirname(file), 'r')
  try { fs.fsyncSync(dirFd) } finally { fs.closeSync(dirFd) }
}
