// The project file's `tail:` and `ingest:` blocks (kept apart from project-file.ts so each
// block's settings and defaults are in one place).
//   tail:                       # optional: `tidewatch up` also collects these files
//     paths: ['/var/log/containers/*.log']
//     topic: logs
//     format: auto              # auto | cri | docker | plain
//     multiline: none           # none | java | python | go | a start-of-record RE2 regex
//     checkpoints: <data-dir>/tail
//     maxLineBytes: 1048576
//     readFrom: head            # head | tail (files found at start without a checkpoint)
//   ingest:                     # the Elasticsearch / Loki / OTLP APIs on up's port
//     topic: logs
//     maxBytes: 8388608
//     maxRecords: 100000
import path from 'node:path'
import { z } from 'zod'

export const tailSchema = z.strictObject({
  paths: z.array(z.string().min(1)).min(1, 'list at least one path or glob'),
  topic: z.string().min(1).prefault('logs'),
  format: z.enum(['auto', 'cri', 'docker', 'plain']).prefault('auto'),
  multiline: z.string().min(1).prefault('none'),
  checkpoints: z.string().min(1).optional(),
  maxLineBytes: z.number().int().min(1024).prefault(1024 * 1024),
  readFrom: z.enum(['head', 'tail']).prefault('head')
})

export const ingestSchema = z.strictObject({
  topic: z.string().min(1).prefault('logs'),
  maxBytes: z.number().int().min(1024).prefault(8 * 1024 * 1024),
  maxRecords: z.number().int().min(1).max(1_000_000).prefault(100_000)
})

export type TailConfig = Omit<z.infer<typeof tailSchema>, 'checkpoints'> & { checkpoints: string | null }
export type IngestConfig = z.infer<typeof ingestSchema>

/** Paths in the `tail:` block are relative to the project file. */
export function resolveTail (t: z.infer<typeof tailSchema> | undefined, dir: string): TailConfig | null {
  if (t === undefined) return null
  return { ...t, paths: t.paths.map(p => path.resolve(dir, p)), checkpoints: t.checkpoints === undefined ? null : path.resolve(dir, t.checkpoints) }
}
