// The collection agent: finds files matching its patterns (every `scanMs`), tails each (one
// TailedFile per device+inode), turns entries into envelopes and hands them to the shipper;
// when a batch is acknowledged, the positions it covered go to the checkpoint file.
// Rotation: a file no longer reached under any watched path (renamed away, deleted, its symlink
// retargeted) is an orphan: it is still read to its end, for `rotateWaitMs` after the last
// byte (a writer may still hold it open), then closed. The new file at the path is read from 0.
// Orphans are read first in each round, so a rotated file's last lines go before the new one's.
import fs from 'node:fs'
import os from 'node:os'
import { crc32 } from '@node-rs/crc32'
import type { Logger } from '../shared/logger.js'
import { CheckpointStore } from './checkpoints.js'
import type { Entry } from './decoder.js'
import { envelope, rfc3339ToMs } from './envelope.js'
import type { FormatOption } from './formats.js'
import { expandGlob } from './glob.js'
import { kubernetesFromPath } from './kubernetes.js'
import type { MultilineMode } from './multiline.js'
import { Shipper, type Batch } from './shipper.js'
import { TailedFile } from './tailed-file.js'
import { DEFAULT_TAIL_OPTIONS, type TailOptions } from './options.js'
import type { CriLine } from './cri-bytes.js'
import { criValueBytes } from './record-sections.js'

export type TailBatch = Batch<TailedFile>

export interface AgentDeps {
  /**
   * Produces a batch; resolves only when the broker acknowledged all of it (acks=all), with the
   * number of records it refused for good (larger than the topic accepts: logged, counted).
   */
  send: (batch: TailBatch) => Promise<number>
  /** Readies a batch for sending ahead of time (optional). */
  prepare?: (batch: TailBatch) => void
  /** The topic's partition count; null while unknown (nothing is read until it is known). */
  partitions: () => number | null
  logger: Logger
  multiline: MultilineMode | null
}

/** What the agent keeps per file beside the file itself. */
interface FileState {
  partitionHint: number
  kubernetes: Buffer
  /** Records handed to the shipper and not yet acknowledged. */
  unacked: number
}

export interface FileStatus { path: string, format: string | null, position: number, committed: number, size: number, lag: number, orphaned: boolean }

export class TailAgent {
  readonly #o: TailOptions
  readonly #d: AgentDeps
  readonly #store: CheckpointStore
  readonly #shipper: Shipper<TailedFile>
  readonly #state = new Map<TailedFile, FileState>()
  readonly #files = new Map<string, TailedFile>() // by dev:ino
  readonly #committed = new Map<TailedFile, number>()
  readonly #host: string
  #timer: NodeJS.Timeout | null = null
  #immediate: NodeJS.Immediate | null = null
  #parked = false
  #lastScan = 0
  #firstScan = true
  #stopped = false
  readonly counters = { lines: 0, entries: 0, invalidUtf8: 0, splitParts: 0, rotations: 0, truncations: 0, filesOpened: 0, linesFast: 0 }

  constructor (o: Partial<TailOptions> & { patterns: string[], checkpoints: string }, d: AgentDeps) {
    this.#o = { ...DEFAULT_TAIL_OPTIONS, ...o }
    this.#d = d
    this.#host = this.#o.host ?? process.env.NODE_NAME ?? os.hostname()
    this.#store = new CheckpointStore(this.#o.checkpoints)
    this.#shipper = new Shipper<TailedFile>({ send: d.send, prepare: d.prepare, onAcked: b => this.#acked(b), batchBytes: this.#o.batchBytes, lingerMs: this.#o.lingerMs, bufferBytes: this.#o.bufferBytes, logger: d.logger })
  }

  get shipper (): Shipper<TailedFile> { return this.#shipper }
  get checkpoints (): CheckpointStore { return this.#store }

  start (): void { this.#loop() }

  /** Stops reading, waits up to `drainMs` for what was sent to be acknowledged, checkpoints. */
  async stop (drainMs = 10_000): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    if (this.#immediate !== null) clearImmediate(this.#immediate)
    await this.#shipper.drain(drainMs)
    this.#shipper.stop()
    this.#store.flush()
    this.#store.close()
    for (const f of this.#files.values()) f.close()
  }

  files (): FileStatus[] {
    return [...this.#files.values()].map(f => {
      let size = f.position
      try { size = f.size() } catch {}
      const committed = this.#committed.get(f) ?? 0
      return { path: f.path, format: f.format, position: f.position, committed, size, lag: Math.max(0, size - committed), orphaned: f.orphanedAt !== null }
    })
  }

  #loop (): void {
    if (this.#stopped) return
    const now = Date.now()
    try {
      if (now - this.#lastScan >= this.#o.scanMs) { this.#scan(now); this.#lastScan = now }
      const round = this.#readRound(now)
      // More to read: the next round right after pending I/O (acknowledgements) is handled (a
      // timer of 0 would wait a millisecond per round). The buffer full: the next round when a
      // batch is acknowledged (#acked), or after pollMs.
      this.#parked = round === 'full'
      if (round === 'busy') this.#immediate = setImmediate(() => { this.#immediate = null; this.#loop() })
      else this.#timer = setTimeout(() => this.#loop(), this.#o.pollMs)
    } catch (err) {
      this.#d.logger.error({ err }, 'tail round failed')
      this.#timer = setTimeout(() => this.#loop(), this.#o.pollMs)
    }
  }

  // Which files the patterns reach now; new ones are opened, unreached ones become orphans.
  #scan (now: number): void {
    const reached = new Set<string>()
    for (const pattern of this.#o.patterns) {
      for (const p of expandGlob(pattern)) {
        let st: fs.Stats
        try { st = fs.statSync(p) } catch { continue }
        const key = `${st.dev}:${st.ino}`
        if (reached.has(key)) continue
        reached.add(key)
        const known = this.#files.get(key)
        if (known !== undefined) {
          if (known.path !== p && known.orphanedAt === null) known.path = p
          continue
        }
        const opened = this.#open(p, now)
        if (opened !== null) reached.add(`${opened.dev}:${opened.ino}`)
      }
    }
    for (const [key, f] of this.#files) {
      if (!reached.has(key) && f.orphanedAt === null) {
        f.orphanedAt = now
        this.counters.rotations++
      }
    }
    this.#firstScan = false
  }

  #open (p: string, now: number): TailedFile | null {
    let fd: number
    try { fd = fs.openSync(p, 'r') } catch { return null }
    const st = fs.fstatSync(fd)
    const key = `${st.dev}:${st.ino}`
    if (this.#files.has(key)) { fs.closeSync(fd); return null }
    const meta = kubernetesFromPath(p, this.#host)
    const state: FileState = {
      // One pod's lines go to one partition, in order.
      partitionHint: crc32(meta !== null ? `${meta.namespace_name}/${meta.pod_name}` : p),
      kubernetes: meta !== null ? Buffer.from(`,"kubernetes":${JSON.stringify(meta)}`) : Buffer.alloc(0),
      unacked: 0
    }
    // The file's state is bound into its callbacks: the per-line path looks nothing up.
    const file = new TailedFile(p, fd, st, 0, meta, {
      format: this.#o.format,
      multiline: this.#d.multiline,
      maxLineBytes: this.#o.maxLineBytes,
      chunkBytes: this.#o.chunkBytes,
      onEntry: (f, e) => this.#entry(f, state, e, Date.now()),
      onCriLine: (f, buf, start, end, cri, resume) => this.#criLine(f, state, buf, start, end, cri, resume),
      onInvalidUtf8: () => { this.counters.invalidUtf8++ },
      counters: this.counters
    })
    this.#state.set(file, state)
    const cp = this.#store.get(st.dev, st.ino)
    let offset = 0
    if (cp !== undefined && cp.fpLength <= file.fpLength && cp.offset <= st.size && sameStart(fd, cp.fpLength, cp.fp)) offset = cp.offset
    else if (cp === undefined && this.#firstScan && this.#o.readFrom === 'tail') offset = st.size
    file.seek(offset)
    this.#files.set(key, file)
    this.#committed.set(file, offset)
    this.counters.filesOpened++
    this.#d.logger.info({ path: p, offset, resumed: offset > 0 }, 'tailing')
    return file
  }

  // One pass over the files: orphans first, each file at most `chunkBytes` per pass, while the
  // shipper has room. Says whether anything was read (then the next pass comes at once), or
  // whether the buffer is full.
  #readRound (now: number): 'busy' | 'full' | 'idle' {
    let busy = false
    if (this.#d.partitions() === null) return 'idle'
    const ordered = [...this.#files.values()].sort((a, b) => (a.orphanedAt === null ? 1 : 0) - (b.orphanedAt === null ? 1 : 0))
    for (const f of ordered) {
      if (!this.#shipper.hasRoom) return 'full'
      let n = 0
      const gen = f.generation
      // Never more than the buffer has room for: unacknowledged data stays within bufferBytes.
      try { n = f.read(now, Math.min(this.#o.chunkBytes, this.#shipper.room)) } catch (err) {
        this.#d.logger.warn({ path: f.path, err: (err as Error).message }, 'reading failed; the file is closed')
        this.#forget(f, true)
        continue
      }
      if (f.generation !== gen) this.counters.truncations++
      if (n > 0) { busy = true; continue }
      f.flushIdle(now, this.#o.flushMs)
      if (f.orphanedAt !== null && now - Math.max(f.orphanedAt, f.lastReadAt) >= this.#o.rotateWaitMs) this.#forget(f, false)
    }
    return busy ? 'busy' : 'idle'
  }

  // A file is done: what it holds goes out, it is closed; its checkpoint goes once acknowledged.
  #forget (f: TailedFile, failed: boolean): void {
    if (!failed) f.finish(Date.now())
    else f.close()
    this.#files.delete(`${f.dev}:${f.ino}`)
    if ((this.#state.get(f)?.unacked ?? 0) === 0) this.#drop(f)
  }

  #drop (f: TailedFile): void {
    this.#state.delete(f)
    this.#committed.delete(f)
    this.#store.delete(f.dev, f.ino)
    this.#store.flush()
  }

  #partition (state: FileState): number {
    return state.partitionHint % (this.#d.partitions() ?? 1)
  }

  #entry (f: TailedFile, state: FileState, e: Entry, now: number): void {
    this.counters.entries++
    const doc = envelope({ log: e.text, time: e.time ?? new Date(now).toISOString(), stream: e.stream, kubernetes: f.meta as Record<string, unknown> | null })
    if (e.split !== undefined) { doc.split = e.split; this.counters.splitParts++ }
    const timestamp = (e.time !== null ? rfc3339ToMs(e.time) : null) ?? now
    state.unacked++
    const value = JSON.stringify(doc)
    this.#shipper.openFor(value.length + 16).sections.add(this.#partition(state), timestamp, value)
    this.#shipper.added(f, e.resume, f.generation)
  }

  // The fast path: a whole CRI line's record written from the file's bytes (record-sections.ts
  // writes the same envelope as #entry would).
  #criLine (f: TailedFile, state: FileState, buf: Buffer, start: number, end: number, cri: CriLine, resume: number): void {
    this.counters.entries++
    this.counters.linesFast++
    state.unacked++
    const bytes = criValueBytes(buf, start, cri.timeEnd, cri.msgStart, end, state.kubernetes)
    this.#shipper.openFor(bytes + 16).sections.addCri(this.#partition(state), cri.ms, buf, start, cri.timeEnd, cri.stderr, cri.msgStart, end, state.kubernetes)
    this.#shipper.added(f, resume, f.generation)
  }

  #acked (batch: TailBatch): void {
    for (const [f, p] of batch.progress) {
      const state = this.#state.get(f)
      if (state !== undefined) state.unacked -= p.count
      if (f.closed && (state?.unacked ?? 0) === 0 && !this.#files.has(`${f.dev}:${f.ino}`)) { this.#drop(f); continue }
      // A position from before a truncation says nothing about the file as it is now.
      if (p.generation !== f.generation) continue
      this.#committed.set(f, p.resume)
      this.#store.set({ path: f.path, dev: f.dev, ino: f.ino, fp: f.fp, fpLength: f.fpLength, offset: p.resume })
    }
    this.#store.flush()
    if (this.#parked && !this.#stopped && this.#shipper.hasRoom) {
      this.#parked = false
      if (this.#timer !== null) clearTimeout(this.#timer)
      this.#timer = null
      this.#immediate ??= setImmediate(() => { this.#immediate = null; this.#loop() })
    }
  }
}

function sameStart (fd: number, length: number, hash: string): boolean {
  return TailedFile.fingerprintOf(fd, length) === hash
}

export type { FormatOption }
