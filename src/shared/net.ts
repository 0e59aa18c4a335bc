import { isIP } from 'node:net'

/** True for addresses only this machine can reach (what may listen without credentials). */
export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}
