import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../shared/logger.js'

export interface CommittedOffset { offset: number, leaderEpoch: number, metadata: string, commitTimestamp: number }

// A line commits one offset, or with `del` forgets a topic's offsets (or one partition's, with
// `p`); with `dg` it forgets the whole group (DeleteGroups).
interface Line { g: string, t: string, p?: number, o?: number, e?: number, m?: string, ts?: number, del?: true, dg?: true }

const COMPACT_MIN_LINES = 10_000

/**
 * Committed offsets of every group, kept in memory and in an append-only file of JSON lines.
 * A commit is written with one synchronous write before it is acknowledged, so it survives a
 * crash of the broker process. On open the file is replayed (a torn last line from a crash is
 * ignored) and rewritten compacted; it is compacted again when it grows far past the live set.
 */
export class OffsetStore {
  readonly #file: string
  readonly #log: Logger
  #fd: number
  #lines = 0
  readonly #groups = new Map<string, Map<string, Map<number, CommittedOffset>>>()

  constructor (dataDir: string, logger: Logger) {
    const dir = path.join(dataDir, 'groups')
    fs.mkdirSync(dir, { recursive: true })
    this.#file = path.join(dir, 'offsets.jsonl')
    this.#log = logger
    this.#replay()
    this.#fd = this.#compact()
  }

  #replay (): void {
    let text = ''
    try { text = fs.readFileSync(this.#file, 'utf8') } catch { return }
    let skipped = 0
    for (const raw of text.split('\n')) {
      if (raw === '') continue
      let line: Line
      try { line = JSON.parse(raw) as Line } catch { skipped++; continue }
      if (line.dg === true) this.#groups.delete(line.g)
      else if (line.del === true && typeof line.p === 'number') this.#groups.get(line.g)?.get(line.t)?.delete(line.p)
      else if (line.del === true) this.#forgetTopic(line.g, line.t)
      else if (typeof line.p === 'number' && typeof line.o === 'number') {
        this.#set(line.g, line.t, line.p, { offset: line.o, leaderEpoch: line.e ?? -1, metadata: line.m ?? '', commitTimestamp: line.ts ?? 0 })
      }
    }
    if (skipped > 0) this.#log.warn({ file: this.#file, skipped }, 'ignored unreadable lines in the offsets file (a write torn by a crash)')
  }

  #set (group: string, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.#groups.get(group)
    if (topics === undefined) this.#groups.set(group, topics = new Map())
    let partitions = topics.get(topic)
    if (partitions === undefined) topics.set(topic, partitions = new Map())
    partitions.set(partition, value)
  }

  #forgetTopic (group: string, topic: string): void {
    this.#groups.get(group)?.delete(topic)
  }

  /** Rewrites the file with only the live offsets; returns the new append descriptor. */
  #compact (): number {
    const lines: string[] = []
    for (const [g, topics] of this.#groups) {
      for (const [t, partitions] of topics) {
        for (const [p, c] of partitions) lines.push(JSON.stringify({ g, t, p, o: c.offset, e: c.leaderEpoch, m: c.metadata, ts: c.commitTimestamp }))
      }
    }
    const tmp = this.#file + '.tmp'
    const fd = fs.openSync(tmp, 'w')
    fs.writeSync(fd, lines.length > 0 ? lines.join('\n') + '\n' : '')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(tmp, this.#file)
    this.#lines = lines.length
    return fs.openSync(this.#file, 'a')
  }

  /**
   * Appends whole lines or nothing: a write that fails (a full disk) is cut back off the file,
   * so the next start does not replay half a line, and the commit is refused (StorageError)
   * instead of acknowledged.
   */
  #append (lines: Line[]): void {
    if (lines.length === 0) return
    const text = Buffer.from(lines.map(l => JSON.stringify(l)).join('\n') + '\n')
    const before = fs.fstatSync(this.#fd).size
    try {
      let written = 0
      while (written < text.length) written += fs.writeSync(this.#fd, text, written)
    } catch (err) {
      try { fs.ftruncateSync(this.#fd, before) } catch {}
      throw new StorageError(`cannot write committed offsets: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    this.#lines += lines.length
    if (this.#lines > COMPACT_MIN_LINES && this.#lines > 10 * this.#liveCount()) {
      fs.closeSync(this.#fd)
      this.#fd = this.#compact()
    }
  }

  #liveCount (): number {
    let n = 0
    for (const topics of this.#groups.values()) for (const partitions of topics.values()) n += partitions.size
    return n
  }

  /** Throws StorageError, remembering nothing, when the commit cannot be written. */
  commit (group: string, offsets: { topic: string, partition: number, value: CommittedOffset }[]): void {
    this.#append(offsets.map(o => ({ g: group, t: o.topic, p: o.partition, o: o.value.offset, e: o.value.leaderEpoch, m: o.value.metadata, ts: o.value.commitTimestamp })))
    for (const o of offsets) this.#set(group, o.topic, o.partition, o.value)
  }

  get (group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#groups.get(group)?.get(topic)?.get(partition)
  }

  /** Every committed offset of a group, by topic. */
  all (group: string): Map<string, Map<number, CommittedOffset>> {
    return this.#groups.get(group) ?? new Map()
  }

  groupIds (): string[] { return [...this.#groups.keys()] }

  deleteTopic (topic: string): void {
    const lines: Line[] = []
    for (const [g, topics] of this.#groups) if (topics.has(topic)) lines.push({ g, t: topic, del: true })
    this.#append(lines)
    for (const l of lines) this.#forgetTopic(l.g, topic)
  }

  /** DeleteGroups: forgets every offset of the group (throws StorageError, forgetting nothing, when it cannot be written). */
  deleteGroup (group: string): void {
    if (!this.#groups.has(group)) return
    this.#append([{ g: group, t: '', dg: true }])
    this.#groups.delete(group)
  }

  /** OffsetDelete: forgets the given partitions' offsets of one group. */
  deletePartitions (group: string, partitions: { topic: string, partition: number }[]): void {
    const topics = this.#groups.get(group)
    const known = partitions.filter(x => topics?.get(x.topic)?.has(x.partition) === true)
    this.#append(known.map(x => ({ g: group, t: x.topic, p: x.partition, del: true })))
    for (const x of known) {
      const ps = topics!.get(x.topic)!
      ps.delete(x.partition)
      if (ps.size === 0) topics!.delete(x.topic)
    }
  }

  close (): void {
    try { fs.closeSync(this.#fd) } catch {}
  }
}

/** The offsets file could not be written (disk full, I/O error); nothing was committed. */
export class StorageError extends Error {}
