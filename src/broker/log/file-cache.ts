// The open file descriptors of every segment file, shared by the whole broker and bounded.
//
// A segment used to hold three descriptors from the moment it existed, so descriptors grew with
// partitions: a CreateTopics of a few thousand partitions ran the process into EMFILE, after
// which nothing (not even the offsets file, nor a restart) could open a file. Here a segment
// names its files and asks for a descriptor just before each system call; the least recently
// used descriptors are closed beyond `maxOpen`, and a closed file is reopened on its next use.
//
// A descriptor handed out by fd() stays valid until the next call into the cache (a later call
// may close it to make room, and the OS reuses the number), so callers pass it straight to the
// system call and never keep it. Asynchronous fsyncs pin theirs; they run a few at a time.
import fs from 'node:fs'

interface Entry { fd: number, pins: number }

/** Descriptors the periodic flush keeps busy at once (libuv runs four file operations in parallel). */
const SYNC_CONCURRENCY = 4
/** Below this, one operation (log + index + time index) could evict its own descriptors. */
export const MIN_OPEN_FILES = 16

export class FileCache {
  readonly #max: number
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #open = new Map<string, Entry>()
  /** Pinned descriptors whose file was forgotten meanwhile: closed when unpinned. */
  readonly #orphans = new Map<string, Entry>()
  readonly #syncQueue: (() => void)[] = []
  #syncRunning = 0

  constructor (maxOpen: number) {
    if (!Number.isInteger(maxOpen) || maxOpen < MIN_OPEN_FILES) throw new Error(`max open files must be a whole number of at least ${MIN_OPEN_FILES}, got ${maxOpen}`)
    this.#max = maxOpen
  }

  /** Descriptors currently open (pinned ones included). */
  get openCount (): number { return this.#open.size + this.#orphans.size }

  /**
   * A read-write descriptor for `file`, opened if needed (created when `create`). Throws the
   * open's error (ENOENT without `create`). Pass it directly to one system call.
   */
  fd (file: string, create = false): number {
    const hit = this.#open.get(file)
    if (hit !== undefined) {
      this.#open.delete(file)
      this.#open.set(file, hit)
      return hit.fd
    }
    this.#evict(this.#max - 1)
    let fd: number
    try {
      fd = fs.openSync(file, create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o644)
    } catch (err) {
      // Other parts of the process (sockets, the offsets file) share the limit: give back half
      // of ours and try once more before reporting it.
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EMFILE' && code !== 'ENFILE') throw err
      this.#evict(Math.floor(this.#max / 2))
      fd = fs.openSync(file, create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o644)
    }
    this.#open.set(file, { fd, pins: 0 })
    return fd
  }

  /** Closes the file's descriptor (after any fsync using it): before a file is deleted or renamed. */
  forget (file: string): void {
    const e = this.#open.get(file)
    if (e === undefined) return
    this.#open.delete(file)
    if (e.pins > 0) this.#orphans.set(file, e)
    else closeQuietly(e.fd)
  }

  /**
   * fdatasync of each file that exists, off the event loop, a few at a time across the broker.
   * Rejects with the first error (ENOENT is not one: a file deleted meanwhile needs no sync).
   */
  async syncAsync (files: string[]): Promise<void> {
    await this.#slot()
    try {
      for (const file of files) {
        let e: Entry
        try {
          this.fd(file)
          e = this.#open.get(file)!
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw err
        }
        e.pins++
        try {
          await new Promise<void>((resolve, reject) => fs.fdatasync(e.fd, err => err !== null ? reject(err) : resolve()))
        } finally {
          e.pins--
          if (e.pins === 0 && this.#orphans.get(file) === e) {
            this.#orphans.delete(file)
            closeQuietly(e.fd)
          }
        }
      }
    } finally {
      this.#syncRunning--
      this.#syncQueue.shift()?.()
    }
  }

  /** fdatasync of each file that exists, now. */
  syncNow (files: string[]): void {
    for (const file of files) {
      let fd: number
      try {
        fd = this.fd(file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      fs.fdatasyncSync(fd)
    }
  }

  close (): void {
    for (const file of [...this.#open.keys()]) this.forget(file)
  }

  #slot (): Promise<void> {
    if (this.#syncRunning < SYNC_CONCURRENCY) {
      this.#syncRunning++
      return Promise.resolve()
    }
    return new Promise(resolve => this.#syncQueue.push(() => { this.#syncRunning++; resolve() }))
  }

  /** Closes least recently used, unpinned descriptors until at most `keep` remain. */
  #evict (keep: number): void {
    if (this.#open.size <= keep) return
    for (const [file, e] of this.#open) {
      if (this.#open.size <= keep) break
      if (e.pins > 0) continue
      this.#open.delete(file)
      closeQuietly(e.fd)
    }
  }
}

function closeQuietly (fd: number): void {
  // close(2) of a descriptor we own fails only with EBADF/EIO; the data is in the page cache
  // either way, and an error of writing it back is reported by the next fsync of the file.
  try { fs.closeSync(fd) } catch {}
}
