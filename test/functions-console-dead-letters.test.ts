// The console (Debian's Chromium through playwright-core) under `tidewatch up`, after a corrupt
// batch (placed in the log while up was stopped: the broker refuses one on produce) reached the
// logs-handler function: its card counts the dead letter, names the
// undecodable batch and why, and the 404 produced after it still became an alert.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { appendToStoppedLog } from './helpers/log-files.js'
import { tempDir } from './helpers/processes.js'
import { buildBatch, updateCrc, HEADER_SIZE } from '../src/protocol/record-batch/index.js'
import { startUp, LOGS_HANDLER_PROJECT } from './helpers/tidewatch-up.js'
import { launchChromium, openPage, screenshot } from './helpers/console-browser.js'
import { run } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const the404 = fs.readFileSync(path.join(path.dirname(LOGS_HANDLER_PROJECT), 'sample.log'), 'utf8').split('\n')[0]

test('the console shows an undecodable batch as a dead letter with its reason, and the 404 after it alerts', async () => {
  const dataDir = path.join(tempDir('tidewatch-dead-letters-'), 'data')
  const before = await startUp({ dataDir })
  try {
    const produced = await run('kcat', ['-b', before.bootstrap, '-P', '-t', 'logs', '-p', '0'], { input: the404.replace('/notfound', '/before') + '\n' })
    assert.equal(produced.code, 0, produced.stderr)
    await waitFor(async () => ((await (await fetch(`${before.url}/api/v2/alerts`)).json()) as unknown[]).length > 0, { what: 'the first alert', timeoutMs: 90_000 })
  } finally {
    assert.equal(await before.stop(), 0)
  }
  const corrupt = buildBatch([{ value: the404.replace('/notfound', '/never-decoded') }], { compression: 1 })
  for (let i = HEADER_SIZE + 15; i < corrupt.length - 8; i += 5) corrupt[i] ^= 0x33
  updateCrc(corrupt, 0, corrupt.length)
  assert.equal(appendToStoppedLog(path.join(dataDir, 'broker'), 'logs', 0, corrupt), 1)
  appendToStoppedLog(path.join(dataDir, 'broker'), 'logs', 0, buildBatch([{ value: the404.replace('/notfound', '/after-the-bad-batch') }]))
  const stack = await startUp({ dataDir })
  const browser = await launchChromium()
  try {
    const alerts = await waitFor(async () => {
      const a = await (await fetch(`${stack.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return a.some(x => x.labels.path === '/after-the-bad-batch') ? a : null
    }, { what: 'the alert for the 404 after the bad batch', timeoutMs: 90_000 })
    assert.deepEqual(alerts.map(a => a.labels.path).sort(), ['/after-the-bad-batch', '/before'], 'the alert from before the restart is restored; the bad batch alerted nothing')

    const { page, errors } = await openPage(browser)
    await page.goto(`${stack.url}/`)
    const card = page.locator('[data-function="logs-handler"]')
    await card.getByTestId('dead-letters').filter({ hasText: /^1$/ }).waitFor({ timeout: 60_000 })
    // First the consumer's failure is the last problem, then the batch it was about.
    await card.getByTestId('last-error').filter({ hasText: /undecodable batch logs\/0\/1-1: cannot decompress gzip records/ }).waitFor({ timeout: 60_000 })
    // The count of undecodable batches comes with the replica's next report (every second).
    await card.getByText(/· 1 undecodable batch$/).waitFor({ timeout: 60_000 })
    await screenshot(page, 'functions-dead-letter')
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await stack.stop()
  }
})
