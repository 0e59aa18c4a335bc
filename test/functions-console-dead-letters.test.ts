// The console (Debian's Chromium through playwright-core) under `tidewatch up`, after a corrupt
// batch reached the logs-handler function: its card counts the dead letter, names the
// undecodable batch and why, and the 404 produced after it still became an alert.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { RawClient } from '../src/broker/testing/raw-client.js'
import { buildBatch, updateCrc, HEADER_SIZE } from '../src/protocol/record-batch/index.js'
import { startUp, LOGS_HANDLER_PROJECT } from './helpers/tidewatch-up.js'
import { launchChromium, openPage, screenshot } from './helpers/console-browser.js'
import { run } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const the404 = fs.readFileSync(path.join(path.dirname(LOGS_HANDLER_PROJECT), 'sample.log'), 'utf8').split('\n')[0]

test('the console shows an undecodable batch as a dead letter with its reason, and the 404 after it alerts', async () => {
  const stack = await startUp()
  const browser = await launchChromium()
  try {
    const corrupt = buildBatch([{ value: the404.replace('/notfound', '/never-decoded') }], { compression: 1 })
    for (let i = HEADER_SIZE + 15; i < corrupt.length - 8; i += 5) corrupt[i] ^= 0x33
    updateCrc(corrupt, 0, corrupt.length)
    const raw = await RawClient.connect(Number(stack.bootstrap.split(':')[1]))
    try {
      const res = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'logs', partitionData: [{ index: 0, records: corrupt }] }] })
      assert.equal(res.responses[0].partitionResponses[0].errorCode, 0)
    } finally {
      raw.close()
    }
    const produced = await run('kcat', ['-b', stack.bootstrap, '-P', '-t', 'logs', '-p', '0'], { input: the404.replace('/notfound', '/after-the-bad-batch') + '\n' })
    assert.equal(produced.code, 0, produced.stderr)

    const alerts = await waitFor(async () => {
      const a = await (await fetch(`${stack.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return a.length > 0 ? a : null
    }, { what: 'the alert for the 404 after the bad batch', timeoutMs: 90_000 })
    assert.deepEqual(alerts.map(a => a.labels.path), ['/after-the-bad-batch'])

    const { page, errors } = await openPage(browser)
    await page.goto(`${stack.url}/`)
    const card = page.locator('[data-function="logs-handler"]')
    await card.getByTestId('dead-letters').filter({ hasText: /^1$/ }).waitFor({ timeout: 60_000 })
    // First the consumer's failure is the last problem, then the batch it was about.
    await card.getByTestId('last-error').filter({ hasText: /undecodable batch logs\/0\/0-0: cannot decompress gzip records/ }).waitFor({ timeout: 60_000 })
    // The count of undecodable batches comes with the replica's next report (every second).
    await card.getByText(/· 1 undecodable batch$/).waitFor({ timeout: 60_000 })
    await screenshot(page, 'functions-dead-letter')
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await stack.stop()
  }
})
