// The transaction coordinator's state on disk: `transactions.json` in the broker's data
// directory, every transactional id with its producer id, epoch and current transaction. It is
// rewritten (temporary file, then rename) before a request that changed it is answered, so it
// survives the broker process being killed, as the log does; a restart keeps each id's producer
// id, and a transaction decided but not yet marked everywhere is finished.
import fs from 'node:fs'
import path from 'node:path'
import type { TxnMeta } from './state.js'

export const TRANSACTIONS_FILE = 'transactions.json'

export class TxnStore {
  readonly #file: string

  constructor (dataDir: string) {
    this.#file = path.join(dataDir, TRANSACTIONS_FILE)
  }

  /** The stored ids; none when the file is missing. An unreadable file is an error the caller reports. */
  load (): TxnMeta[] {
    let text: string
    try {
      text = fs.readFileSync(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const parsed = JSON.parse(text) as { transactions?: TxnMeta[] }
    return Array.isArray(parsed.transactions) ? parsed.transactions : []
  }

  /** Throws the file system's error (the caller keeps its state and reports it). */
  save (metas: Iterable<TxnMeta>): void {
    const tmp = this.#file + '.tmp'
    fs.writeFileSync(tmp, JSON.stringify({ transactions: [...metas] }))
    fs.renameSync(tmp, this.#file)
  }

  /** Moves an unreadable file aside so the broker can start; returns where it went. */
  quarantine (): string {
    const aside = `${this.#file}.unreadable-${Date.now()}`
    fs.renameSync(this.#file, aside)
    return aside
  }
}
