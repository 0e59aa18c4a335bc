/**
 * An append-only file of JSON lines: the notifier's durable state (notification log, silences,
 * undelivered notifications) is a log of records, replayed on start and compacted when most of
 * it is dead.
 *
 * Durability is the broker's: a record is written to the file (the operating system's page
 * cache) before `append` returns, so it survives the process dying in any way, not the machine
 * losing power within the OS's flush interval. A last line cut short by a crash mid-write is
 * ignored on replay; a bad line elsewhere is skipped and reported, never fatal.
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

  private constructor (file: string, fd: number, lines: number) {
    this.file = file
    this.#fd = fd
    this.#lines = lines
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
    return { log: new JsonlFile<T>(file, fd, report.records), report }
  }

  /** Lines appended since the last compaction (live and dead). */
  get lines (): number { return this.#lines }

  append (record: T): void {
    fs.writeSync(this.#fd, JSON.stringify(record) + '\n')
    this.#lines++
  }

  appendMany (records: readonly T[]): void {
    if (records.length === 0) return
    fs.writeSync(this.#fd, records.map(r => JSON.stringify(r) + '\n').join(''))
    this.#lines += records.length
  }

  /**
   * Replaces the file with just `live`: written to a temporary file, fsynced and renamed over
   * the old one, so a crash leaves either the old file or the new one, never half of each.
   */
  compact (live: readonly T[]): void {
    const tmp = `${this.file}.compact`
    const fd = fs.openSync(tmp, 'w')
    try {
      fs.writeSync(fd, live.map(r => JSON.stringify(r) + '\n').join(''))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, this.file)
    fs.closeSync(this.#fd)
    this.#fd = fs.openSync(this.file, 'a')
    this.#lines = live.length
  }

  /** Compacts when dead lines outnumber live ones (and there are enough to bother). */
  maybeCompact (live: () => readonly T[], liveCount: number, minLines = 1000): boolean {
    if (this.#lines < minLines || this.#lines < 2 * liveCount) return false
    this.compact(live())
    return true
  }

  close (): void {
    fs.closeSync(this.#fd)
  }
}
