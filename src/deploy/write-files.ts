// Writes a rendered directory. Files holding credentials are readable by their owner only, and
// a Kafka Secret from an earlier render that this one no longer has is removed rather than left
// lying beside a kustomization.yaml that does not list it.
import fs from 'node:fs'
import path from 'node:path'
import { KAFKA_SECRET_FILE, TRIGGER_AUTH_FILE } from './kafka-auth.js'

export interface FileToWrite {
  name: string
  text: string
  /** Holds secret values: written with mode 0600. */
  secret: boolean
}

/** Writes `files` into `dir` (created if missing) and returns their paths, in order. */
export function writeRenderedFiles (dir: string, files: FileToWrite[]): string[] {
  fs.mkdirSync(dir, { recursive: true })
  const written: string[] = []
  for (const f of files) {
    const target = path.join(dir, f.name)
    // `mode` applies only to a new file: an existing one is narrowed before it is rewritten.
    if (f.secret && fs.existsSync(target)) fs.chmodSync(target, 0o600)
    fs.writeFileSync(target, f.text, { mode: f.secret ? 0o600 : 0o644 })
    written.push(target)
  }
  for (const stale of [KAFKA_SECRET_FILE, TRIGGER_AUTH_FILE]) {
    if (!files.some(f => f.name === stale)) fs.rmSync(path.join(dir, stale), { force: true })
  }
  return written
}

/** The note deploy prints (stderr) about the files that hold credentials; null when none do. */
export function credentialsNote (files: FileToWrite[]): string | null {
  const names = [...new Set(files.filter(f => f.secret).map(f => f.name))]
  if (names.length === 0) return null
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`
  return `note: ${list} hold${names.length === 1 ? 's' : ''} credentials (written with mode 0600): keep ${names.length === 1 ? 'it' : 'them'} out of version control (add ${names.length === 1 ? 'it' : 'them'} to .gitignore), or create those Secrets from your secret store and drop the file${names.length === 1 ? '' : 's'} from kustomization.yaml`
}
