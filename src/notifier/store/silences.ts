/**
 * Silences as the API manages them: created, updated, expired (never deleted by a user), kept
 * on disk, and forgotten a retention period after they end.
 *
 * Updating follows Alertmanager: a silence is changed in place only while that cannot rewrite
 * history (same matchers; a running silence keeps its start and must not end in the past);
 * otherwise the old one is expired and a new one, with a new id, replaces it.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { LabelSet } from '../labels.js'
import { matcherFromApi, matcherToApi, silenceMutes, silenceProblems, silenceState, type Silence, type SilenceApiMatcher } from '../silence-match.js'
import { JsonlFile } from './jsonl-file.js'

/** A silence as stored: matchers in the API's form (they are compiled on load). */
interface SilenceRecord { id: string, matchers: Required<SilenceApiMatcher>[], startsAt: number, endsAt: number, createdBy: string, comment: string, updatedAt: number }

export interface StoredSilence extends Silence { readonly updatedAt: number }

export interface SilenceInput { id?: string, matchers: SilenceApiMatcher[], startsAt: number, endsAt: number, createdBy: string, comment: string }

/** A silence the API must refuse: `problems` are `field: message` strings. */
export class SilenceError extends Error {
  readonly status: 400 | 404
  constructor (message: string, status: 400 | 404 = 400) { super(message); this.name = 'SilenceError'; this.status = status }
}

/** Alertmanager keeps expired silences for --data.retention (default 120h). */
export const SILENCE_RETENTION_MS = 120 * 3_600_000

export class SilenceStore {
  readonly #silences = new Map<string, StoredSilence>()
  readonly #file: JsonlFile<SilenceRecord>
  readonly #retentionMs: number

  private constructor (file: JsonlFile<SilenceRecord>, retentionMs: number) {
    this.#file = file
    this.#retentionMs = retentionMs
  }

  static open (dataDir: string, retentionMs = SILENCE_RETENTION_MS): { store: SilenceStore, badLines: number[], skipped: string[] } {
    const records: SilenceRecord[] = []
    const { log, report } = JsonlFile.open<SilenceRecord>(path.join(dataDir, 'silences.jsonl'), r => records.push(r))
    const store = new SilenceStore(log, retentionMs)
    const skipped: string[] = []
    for (const r of records) {
      try {
        store.#silences.set(r.id, fromRecord(r))
      } catch (err) {
        skipped.push(`${r.id}: ${(err as Error).message}`)
      }
    }
    return { store, badLines: report.badLines, skipped }
  }

  /** Creates or updates a silence; returns its id (a new one when it could not be updated in place). */
  upsert (input: SilenceInput, now: number): string {
    let matchers
    try {
      matchers = input.matchers.map(matcherFromApi)
    } catch (err) {
      throw new SilenceError(`matchers: ${(err as Error).message}`)
    }
    const problems = silenceProblems({ matchers, startsAt: input.startsAt, endsAt: input.endsAt })
    if (input.endsAt < now) problems.push('endsAt: must be in the future')
    if (problems.length > 0) throw new SilenceError(problems.join('; '))
    // A start in the past is moved to now, as Alertmanager does.
    const next: StoredSilence = { id: input.id ?? '', matchers, startsAt: Math.max(input.startsAt, now), endsAt: input.endsAt, createdBy: input.createdBy, comment: input.comment, updatedAt: now }
    if (input.id !== undefined && input.id !== '') {
      const held = this.#silences.get(input.id)
      if (held === undefined) throw new SilenceError(`silence ${input.id} not found`, 404)
      if (canUpdateInPlace(held, next, now)) {
        this.#write({ ...next, id: held.id, startsAt: silenceState(held, now) === 'active' ? held.startsAt : next.startsAt })
        return held.id
      }
      if (silenceState(held, now) !== 'expired') this.#write({ ...held, endsAt: now, updatedAt: now })
    }
    const id = randomUUID()
    this.#write({ ...next, id })
    return id
  }

  /** Ends a silence now. Expiring an expired silence is an error, as in Alertmanager. */
  expire (id: string, now: number): void {
    const held = this.#silences.get(id)
    if (held === undefined) throw new SilenceError(`silence ${id} not found`, 404)
    if (silenceState(held, now) === 'expired') throw new SilenceError(`silence ${id} already expired`)
    // A pending silence ends where it starts: it never mutes anything.
    this.#write({ ...held, startsAt: Math.min(held.startsAt, now), endsAt: now, updatedAt: now })
  }

  get (id: string): StoredSilence | undefined { return this.#silences.get(id) }

  list (): StoredSilence[] { return [...this.#silences.values()] }

  /** Ids of the silences muting these labels at `now`. */
  mutedBy (labels: LabelSet, now: number): string[] {
    const ids: string[] = []
    for (const s of this.#silences.values()) if (silenceMutes(s, labels, now)) ids.push(s.id)
    return ids
  }

  /** Forgets silences that ended more than the retention period ago. */
  gc (now: number): number {
    let n = 0
    for (const [id, s] of this.#silences) if (s.endsAt + this.#retentionMs < now) { this.#silences.delete(id); n++ }
    if (n > 0) this.#file.compact([...this.#silences.values()].map(toRecord))
    return n
  }

  close (): void { this.#file.close() }

  #write (s: StoredSilence): void {
    this.#file.append(toRecord(s))
    this.#silences.set(s.id, s)
    this.#file.maybeCompact(() => [...this.#silences.values()].map(toRecord), this.#silences.size)
  }
}

function canUpdateInPlace (held: StoredSilence, next: StoredSilence, now: number): boolean {
  const same = JSON.stringify(held.matchers.map(matcherToApi)) === JSON.stringify(next.matchers.map(matcherToApi))
  if (!same) return false
  switch (silenceState(held, now)) {
    case 'expired': return false
    case 'active': return next.endsAt >= now
    case 'pending': return true
  }
}

function toRecord (s: StoredSilence): SilenceRecord {
  return { id: s.id, matchers: s.matchers.map(matcherToApi), startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment, updatedAt: s.updatedAt }
}

function fromRecord (r: SilenceRecord): StoredSilence {
  return { ...r, matchers: r.matchers.map(matcherFromApi) }
}
