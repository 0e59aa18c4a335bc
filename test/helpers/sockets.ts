// Which TCP ports a process listens on, read from /proc: for tests that probe every listener of
// a process, including ones it never prints.
import fs from 'node:fs'

export interface Listener { address: string, port: number }

/** TCP sockets in LISTEN state owned by `pid` (IPv4 and IPv6), with their local address. */
export function listeningSockets (pid: number): Listener[] {
  const inodes = new Set<string>()
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m !== null) inodes.add(m[1])
    } catch {}
  }
  const out: Listener[] = []
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let text = ''
    try { text = fs.readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue
      const [hex, portHex] = f[1].split(':')
      out.push({ address: v6 ? ipv6(hex) : ipv4(hex), port: Number.parseInt(portHex, 16) })
    }
  }
  return out
}

function ipv4 (hex: string): string {
  // Little-endian bytes: 0100007F is 127.0.0.1.
  return [3, 2, 1, 0].map(i => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.')
}

function ipv6 (hex: string): string {
  if (/^0{32}$/.test(hex)) return '::'
  if (hex === '00000000000000000000000001000000') return '::1'
  if (hex.startsWith('0000000000000000FFFF0000')) return ipv4(hex.slice(24))
  return hex
}
