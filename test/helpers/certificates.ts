// Throwaway X.509 material for TLS tests, made with openssl at test time (node:crypto cannot
// issue certificates): a CA, a server certificate for 127.0.0.1/localhost and a client
// certificate both signed by it, an unrelated CA, and a client certificate that CA signed.
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'

export interface TestCertificates {
  dir: string
  ca: string
  otherCa: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** A client certificate signed by the other CA: refused by a broker that trusts `ca`. */
  strangerCert: string
  strangerKey: string
}

export function makeTestCertificates (dir: string): TestCertificates {
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`)
  for (const [who, ca] of [['server', 'ca'], ['client', 'ca'], ['stranger', 'other-ca']]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`)
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', ...(who === 'server' ? ['-extfile', 'san.cnf'] : []))
  }
  const f = (name: string): string => path.join(dir, name)
  return { dir, ca: f('ca.pem'), otherCa: f('other-ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key'), strangerCert: f('stranger.pem'), strangerKey: f('stranger.key') }
}
