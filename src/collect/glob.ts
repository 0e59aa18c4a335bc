// Expanding the agent's path patterns on every scan. Node 20 has no fs.glob, and the patterns
// are simple: `*` and `?` within one path segment, `[abc]` classes, `**` for any depth. Each
// segment with a wildcard lists one directory; literal segments are joined without listing.
import fs from 'node:fs'
import path from 'node:path'

const WILD = /[*?[]/

/** Files (and symlinks to files) matching `pattern`, absolute. */
export function expandGlob (pattern: string): string[] {
  const abs = path.resolve(pattern)
  if (!WILD.test(abs)) return isFile(abs) ? [abs] : []
  const parts = abs.split('/').filter(p => p !== '')
  const out: string[] = []
  walk('/', parts, 0, out, 0)
  return out
}

function walk (dir: string, parts: string[], i: number, out: string[], depth: number): void {
  if (depth > 64) return
  if (i === parts.length) { if (isFile(dir)) out.push(dir); return }
  const part = parts[i]
  if (!WILD.test(part)) { walk(path.join(dir, part), parts, i + 1, out, depth); return }
  let entries: fs.Dirent[]
  try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return }
  if (part === '**') {
    walk(dir, parts, i + 1, out, depth) // zero directories
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), parts, i, out, depth + 1)
    return
  }
  const re = segmentRegex(part)
  const last = i === parts.length - 1
  for (const e of entries) {
    if (!re.test(e.name) || (e.name.startsWith('.') && !part.startsWith('.'))) continue
    const p = path.join(dir, e.name)
    if (last) { if (isFile(p)) out.push(p) } else walk(p, parts, i + 1, out, depth)
  }
}

const cache = new Map<string, RegExp>()
function segmentRegex (part: string): RegExp {
  let re = cache.get(part)
  if (re !== undefined) return re
  let src = ''
  for (let i = 0; i < part.length; i++) {
    const c = part[i]
    if (c === '*') src += '[^/]*'
    else if (c === '?') src += '[^/]'
    else if (c === '[') {
      const close = part.indexOf(']', i + 1)
      if (close < 0) { src += '\\['; continue }
      const body = part.slice(i + 1, close).replace(/\\/g, '\\\\')
      src += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`
      i = close
    } else src += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  re = new RegExp(`^${src}$`)
  if (cache.size > 1000) cache.clear()
  cache.set(part, re)
  return re
}

function isFile (p: string): boolean {
  try { return fs.statSync(p).isFile() } catch { return false }
}
