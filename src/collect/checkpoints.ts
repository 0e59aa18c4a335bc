// Where each file was read to, kept in DIR/checkpoints.json. A file is known by its device and
// inode plus a fingerprint of its first bytes: an inode the filesystem reuses for a new file
// (rotate, delete, create) has other first bytes, so it is read from 0, not from the old
// file's position. The file is rewritten whole (a few hundred bytes per file) to a temporary
// name and renamed over the old one, so a crash leaves the old or the new state, never half.
// It is written only after the broker acknowledged (acks=all) every record before the
// positions it holds, which is what makes the agent at-least-once.
import fs from 'node:fs'
import path from 'node:path'

export interface Checkpoint {
  /** The path it was last read under (for people; identity is dev + inode + fingerprint). */
  path: string
  dev: number
  ino: number
  /** Hex SHA-256 of the first `fpLength` bytes. */
  fp: string
  fpLength: number
  /** The byte offset reading resumes from. */
  offset: number
}

const FILE = 'checkpoints.json'

export class CheckpointStore {
  readonly #dir: string
  readonly #entries = new Map<string, Checkpoint>()
  #dirty = false
  writes = 0

  constructor (dir: string) {
    this.#dir = dir
    fs.mkdirSync(dir, { recursive: true })
    let text: string | null = null
    try { text = fs.readFileSync(path.join(dir, FILE), 'utf8') } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (text !== null) {
      let doc: unknown
      try { doc = JSON.parse(text) } catch (err) {
        throw new Error(`${path.join(dir, FILE)} is not valid JSON (${(err as Error).message}); move it away to start over (files are then read from the beginning)`)
      }
      for (const c of (doc as { files?: Checkpoint[] }).files ?? []) {
        if (typeof c?.dev === 'number' && typeof c.ino === 'number' && typeof c.offset === 'number') this.#entries.set(key(c.dev, c.ino), c)
      }
    }
  }

  get file (): string { return path.join(this.#dir, FILE) }

  get (dev: number, ino: number): Checkpoint | undefined { return this.#entries.get(key(dev, ino)) }

  set (c: Checkpoint): void {
    const k = key(c.dev, c.ino)
    const old = this.#entries.get(k)
    if (old !== undefined && old.offset === c.offset && old.fp === c.fp && old.path === c.path) return
    this.#entries.set(k, { ...c })
    this.#dirty = true
  }

  delete (dev: number, ino: number): void {
    if (this.#entries.delete(key(dev, ino))) this.#dirty = true
  }

  all (): Checkpoint[] { return [...this.#entries.values()] }

  /** Writes the positions when they changed since the last write. */
  flush (): void {
    if (!this.#dirty) return
    const tmp = path.join(this.#dir, `${FILE}.tmp`)
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, files: this.all() }, null, 1) + '\n')
    fs.renameSync(tmp, this.file)
    this.#dirty = false
    this.writes++
  }
}

function key (dev: number, ino: number): string { return `${dev}:${ino}` }
