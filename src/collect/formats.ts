// The three shapes a container log file's lines come in, parsed into fragments of a log line:
// - CRI (containerd, CRI-O; kubelet's comment in pkg/kubelet/kuberuntime/logs/logs.go):
//   `<RFC3339Nano> <stdout|stderr> <tags> <message>`, tags `:`-separated, the first `P` (a part
//   of a longer line; more follow) or `F` (the line's last part);
// - docker json-file: `{"log":"…\n","stream":"stdout","time":"…"}`, a `log` without its
//   trailing newline being one 16 KiB chunk of a longer line (moby's copier splits at 16,384);
// - plain: the line is the message.
// Parsing is by hand (indexOf, no regex) on the hot path: every line of every file passes here.

export const FORMATS = ['auto', 'cri', 'docker', 'plain'] as const
export type FormatOption = typeof FORMATS[number]
export type Format = Exclude<FormatOption, 'auto'>

export interface Fragment {
  /** The runtime's timestamp as written (RFC 3339), or null (plain lines). */
  time: string | null
  /** stdout / stderr, or null when the format has none. */
  stream: string | null
  /** True when more of the same line follows (CRI `P`, a docker chunk without `\n`). */
  partial: boolean
  text: string
}

/** The CRI fragment in `line`, or null when it is not a CRI line. */
export function parseCri (line: string): Fragment | null {
  const s1 = line.indexOf(' ')
  // A timestamp is at least `2006-01-02T15:04:05Z`.
  if (s1 < 20 || line.charCodeAt(4) !== 0x2d || line.charCodeAt(10) !== 0x54) return null
  const s2 = line.indexOf(' ', s1 + 1)
  if (s2 < 0) return null
  const stream = line.slice(s1 + 1, s2)
  if (stream !== 'stdout' && stream !== 'stderr') return null
  let s3 = line.indexOf(' ', s2 + 1)
  // A line written empty is `<ts> stdout F` with nothing after the tag.
  if (s3 < 0) s3 = line.length
  const tag = line.charCodeAt(s2 + 1)
  if (tag !== 0x50 /* P */ && tag !== 0x46 /* F */) return null
  if (s3 !== s2 + 2 && line.charCodeAt(s2 + 2) !== 0x3a /* : */) return null
  return { time: line.slice(0, s1), stream, partial: tag === 0x50, text: s3 >= line.length ? '' : line.slice(s3 + 1) }
}

/** The docker json-file fragment in `line`, or null when it is not one. */
export function parseDocker (line: string): Fragment | null {
  if (line.charCodeAt(0) !== 0x7b /* { */) return null
  let doc: unknown
  try { doc = JSON.parse(line) } catch { return null }
  if (doc === null || typeof doc !== 'object') return null
  const { log, stream, time } = doc as { log?: unknown, stream?: unknown, time?: unknown }
  if (typeof log !== 'string') return null
  const complete = log.endsWith('\n')
  return {
    time: typeof time === 'string' ? time : null,
    stream: typeof stream === 'string' ? stream : null,
    partial: !complete,
    text: complete ? log.slice(0, log.endsWith('\r\n') ? -2 : -1) : log
  }
}

export function parsePlain (line: string): Fragment {
  return { time: null, stream: null, partial: false, text: line.endsWith('\r') ? line.slice(0, -1) : line }
}

/** The format of a file from its first line (`auto`): CRI, then docker, else plain. */
export function detectFormat (firstLine: string): Format {
  if (parseCri(firstLine) !== null) return 'cri'
  if (parseDocker(firstLine) !== null) return 'docker'
  return 'plain'
}

/**
 * Parses one line in `format`. A line that does not fit its file's format (a file that changed
 * runtime, a corrupt line) is kept as a plain line rather than dropped.
 */
export function parseLine (format: Format, line: string): Fragment {
  if (format === 'cri') return parseCri(line) ?? parsePlain(line)
  if (format === 'docker') return parseDocker(line) ?? parsePlain(line)
  return parsePlain(line)
}
