import fs from 'node:fs'
import path from 'node:path'

const BLOCK = 1000

/**
 * Hands out producer ids that are never reused, even across restarts: a partition keeps
 * sequence state per producer id, so a reused id would make a new producer look like a
 * duplicate of an old one. Ids are reserved in blocks; the end of the current block is
 * written (and fsynced) before any id from it is given out.
 */
export class ProducerIdAllocator {
  #file: string
  #next: number
  #blockEnd: number

  constructor (dataDir: string) {
    this.#file = path.join(dataDir, 'producer-id-block')
    let reserved = 0
    try {
      reserved = Number.parseInt(fs.readFileSync(this.#file, 'utf8'), 10) || 0
    } catch {}
    this.#next = reserved
    this.#blockEnd = reserved
  }

  next (): number {
    if (this.#next >= this.#blockEnd) {
      this.#blockEnd = this.#next + BLOCK
      const tmp = this.#file + '.tmp'
      const fd = fs.openSync(tmp, 'w')
      fs.writeSync(fd, String(this.#blockEnd) + '\n')
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      fs.renameSync(tmp, this.#file)
    }
    return this.#next++
  }
}
