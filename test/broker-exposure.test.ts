// tidewatch broker refuses to listen beyond loopback without SASL unless told the network is
// trusted, and refuses option combinations that cannot work, naming the flags.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { CLI, run, tempDir } from './helpers/processes.js'
import { exposureProblem, assertSafeExposure } from '../src/broker/config.js'

test('tidewatch broker --host 0.0.0.0 without --sasl-users-file refuses to start, naming both ways out', async () => {
  const dataDir = tempDir()
  try {
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      const r = await run(process.execPath, [CLI, 'broker', '--host', host, '--port', '0', '--data-dir', dataDir], { timeoutMs: 30_000 })
      assert.equal(r.code, 2, `${host}: ${r.stderr}`)
      assert.match(r.stderr, new RegExp(`refusing to listen on ${host.replace(/\./g, '\\.')} without authentication.*--sasl-users-file FILE.*--allow-unauthenticated`))
      assert.doesNotMatch(r.stdout, /listening/)
    }
    const r = await run(process.execPath, [CLI, 'broker', '--port', '0', '--data-dir', dataDir, '--request-max-bytes', '2000000', '--queued-max-request-bytes', '1000000'], { timeoutMs: 30_000 })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--request-max-bytes \(2000000\) must not exceed --queued-max-request-bytes \(1000000\)/)
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

test('exposure rule: loopback is always fine; any other address needs SASL users or an explicit allow', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(exposureProblem(host, null, false), null, host)
  for (const host of ['0.0.0.0', '::', '192.168.0.5', 'broker.example']) {
    assert.match(exposureProblem(host, null, false)!, /refusing to listen/, host)
    assert.equal(exposureProblem(host, { alice: 'x' }, false), null)
    assert.equal(exposureProblem(host, undefined, true), null)
    assert.equal(exposureProblem(host, null, false, true), null, 'client certificates (mutual TLS) authenticate too')
  }
  assert.throws(() => assertSafeExposure('0.0.0.0', null, false), /--allow-unauthenticated/)
})
