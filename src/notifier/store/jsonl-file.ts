/**
 * An append-only file of JSON lines: the notifier's durable state (notification log, silences,
 * undelivered notifications) is a log of records, replayed on start and compacted when most of
 * it is dead.
 *
 * Durability is the broker's: a record is written to the file (the operating system's page
 * cache) before `append` returns, so it survives the process dying in any way, not the machine
 * losing power before the data reaches the disk — the OS's writeback interval, or `sync()`
 * (fdatasync off the event loop), which the alert store calls every second. A last line cut
 * short by a crash mid-write is ignored on replay; a bad line elsewhere is skipped and
 * reported, never fatal.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface ReplayReport {
  records: number
  /** 1-based line numbers of lines that were not valid JSON (a torn last line included). */
  badLines: number[]
  tornTail: boolean
}

export class JsonlFile<T> {
  readonly file: string
  #fd: number
  #lines: number
  /** Bytes in the file: where a failed write is cut back to. */
  #size: number
  /** Written since the last sync() began. */
  #unsynced = false

  private constructor (file: string, fd: number, lines: number, size: number) {
    this.file = file
    this.#fd = fd
    this.#lines = lines
    this.#size = size
  }

  /** Opens (creating if needed) and replays every record through `onRecord`. */
  static open<T> (file: string, onRecord: (record: T) => void): { log: JsonlFile<T>, report: ReplayReport } {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    let text = ''
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    const report: ReplayReport = { records: 0, badLines: [], tornTail: false }
    const lines = text.split('\n')
    // A complete file ends with '\n', leaving an empty last element; anything else is torn.
    const complete = lines.pop() ?? ''
    if (complete !== '') { report.tornTail = true; report.badLines.push(lines.length + 1) }
    lines.forEach((line, i) => {
      if (line === '') return
      let record: T
      try {
        record = JSON.parse(line) as T
      } catch {
        report.badLines.push(i + 1)
        return
      }
      report.records++
      onRecord(record)
    })
    if (report.tornTail) {
      // Cut the torn tail off, so the next append starts on a line of its own.
      fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(complete))
    }
    const fd = fs.openSync(file, 'a')
    return { log: new JsonlFile<T>(file, fd, report.records, Buffer.byteLength(text) - Buffer.byteLength(complete)), report }
  }

  /** Lines appended since the last compaction (live and dead). */
  get lines (): number { return this.#lines }

  append (record: T): void {
    this.#write(JSON.stringify(record) + '\n')
    this.#lines++
  }

  appendMany (records: readonly T[]): void {
    if (records.length === 0) return
    this.#write(records.map(r => JSON.stringify(r) + '\n').join(''))
    this.#lines += records.length
  }

  /**
   * Flushes what was appended to the disk (fdatasync on the libuv pool, so the event loop keeps
   * running); resolves at once when nothing was written since the last call.
   */
  async sync (): Promise<void> {
    if (!this.#unsynced) return
    this.#unsynced = false
    await new Promise<void>(resolve => fs.fdatasync(this.#fd, err => {
      // A compaction or close swapped the descriptor meanwhile: the new file was fsynced whole.
      if (err !== null && err.code !== 'EBADF') this.#unsynced = true
      resolve()
    }))
  }

  /**
   * Replaces the file with just `live`: written to a temporary file, fsynced and renamed over
   * the old one, so a crash leaves either the old file or the new one, never half of each.
   */
  compact (live: readonly T[]): void {
    const tmp = `${this.file}.compact`
    const fd = fs.openSync(tmp, 'w')
    const buf = Buffer.from(live.map(r => JSON.stringify(r) + '\n').join(''))
    try {
      let off = 0
      while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, this.file)
    fs.closeSync(this.#fd)
    this.#fd = fs.openSync(this.file, 'a')
    this.#lines = live.length
    this.#size = buf.length
    this.#unsynced = false
  }

  /** Compacts when dead lines outnumber live ones (and there are enough to bother). */
  maybeCompact (live: () => readonly T[], liveCount: number, minLines = 1000): boolean {
    if (this.#lines < minLines || this.#lines < 2 * liveCount) return false
    this.compact(live())
    return true
  }

  close (): void {
    if (this.#unsynced) fs.fdatasyncSync(this.#fd)
    fs.closeSync(this.#fd)
  }

  /**
   * The whole text, however many calls the OS needs (a large write may be partial). A write that
   * fails (disk full) is cut back off and thrown, so the file never ends in half a record that
   * the next append would run into.
   */
  #write (text: string): void {
    const buf = Buffer.from(text)
    let off = 0
    try {
      while (off < buf.length) off += fs.writeSync(this.#fd, buf, off, buf.length - off)
    } catch (err) {
      if (off > 0) try { fs.ftruncateSync(this.#fd, this.#size) } catch {}
      throw err
    }
    this.#size += buf.length
    this.#unsynced = true
  }
}
