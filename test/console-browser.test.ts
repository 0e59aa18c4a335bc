// The console in a real browser (Debian's Chromium through playwright-core), served by
// `tidewatch up`: the logs-handler function idles at zero replicas; 404 lines from a
// WordPress pod in demo-project arrive over HTTP ingest; the console shows the replicas rise,
// the alert appear, the 404 line in its context with the lines around it, and a search that
// finds it; a silence made from the alert mutes it. Screenshots go to test-results/screenshots.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { accessLogRecord, DEMO_PODS, seededRandom } from '../src/demo/access-logs.js'
import { startUp } from './helpers/tidewatch-up.js'
import { launchChromium, openPage, screenshot } from './helpers/console-browser.js'

const LONG = { timeout: 60_000 }

async function ingest (url: string, records: string[]): Promise<void> {
  const res = await fetch(`${url}/api/v1/ingest/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: records.join('\n') })
  assert.equal(res.status, 200, await res.text())
}

async function numberIn (page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).first().textContent())
}

test('the console shows a 404 line becoming replicas, an alert, its context and a search hit', async () => {
  const stack = await startUp()
  const browser = await launchChromium()
  try {
    const { page, errors } = await openPage(browser)
    await page.goto(`${stack.url}/`)
    const nav = page.getByRole('navigation', { name: 'Views' })

    // Idle: the function is listed at zero replicas, and the chart is collecting samples.
    const card = page.locator('[data-function="logs-handler"]')
    await card.waitFor(LONG)
    assert.equal(await numberIn(page, 'replicas-current'), 0)
    await page.locator('#live.live-ok').waitFor(LONG)
    await screenshot(page, '01-functions-idle')
    await nav.getByRole('link', { name: /^Alerts/ }).click()
    await page.locator('.empty', { hasText: 'No alerts yet.' }).waitFor(LONG)
    await screenshot(page, '01-alerts-empty')
    await nav.getByRole('link', { name: 'Functions' }).click()
    await card.waitFor(LONG)

    // Ordinary lines, the 404, more ordinary lines — all from one pod — then other pods' traffic.
    const rand = seededRandom(42)
    const pod = DEMO_PODS[0]
    const line = (status: 200 | 404, p = pod): string => accessLogRecord(rand, { now: new Date(), pod: p, status })
    const notFound = line(404)
    const request = /"GET (\S+) HTTP/.exec(notFound)![1]
    await ingest(stack.url, [line(200), line(200), line(200), line(200), notFound, line(200), line(200), line(200)])
    await ingest(stack.url, Array.from({ length: 120 }, (_, i) => line(200, DEMO_PODS[2 + (i % 2)])))

    // Replicas rise from zero.
    await page.getByTestId('replicas-current').filter({ hasText: /^[1-9]\d*$/ }).waitFor(LONG)
    await card.locator('.last-event strong').filter({ hasText: /→ [1-9]/ }).waitFor(LONG)
    await screenshot(page, '02-functions-scaled')

    // The alert appears, with the pod and the request path among its labels.
    await nav.getByRole('link', { name: /^Alerts/ }).click()
    const alertRow = page.locator('tr.alert').filter({ hasText: pod.pod }).filter({ hasText: request })
    await alertRow.waitFor(LONG)
    assert.equal(await alertRow.locator('.badge').textContent(), 'firing')
    await page.locator('#alert-count:not([hidden])').waitFor(LONG)
    await screenshot(page, '03-alerts')

    // Its link opens the context: the 404 line highlighted, the same pod's lines around it.
    await alertRow.getByRole('link', { name: 'Show in context' }).click()
    const anchor = page.locator('.context-table tr.anchor')
    await anchor.waitFor(LONG)
    assert.match(await anchor.textContent() ?? '', new RegExp(`GET ${request.replace(/[.?*+()[\]\\]/g, '\\$&')} HTTP/1.1" 404`))
    const anchorOffset = Number(await anchor.getAttribute('data-offset'))
    const rows = page.locator('.context-table tr.log-row')
    assert.ok(await rows.count() >= 9, 'the four lines before, the anchor, and the lines after')
    assert.equal(await page.locator(`.context-table tr[data-offset="${anchorOffset - 1}"]`).count(), 1, 'the line just before')
    assert.equal(await page.locator(`.context-table tr[data-offset="${anchorOffset + 1}"]`).count(), 1, 'the line just after')
    await screenshot(page, '04-context')

    // Same pod only: the other pods' traffic drops out, the anchor stays.
    await page.getByTestId('same-pod').check()
    await page.waitForURL(/samePod=1/, LONG)
    await page.locator('.context-table tr.anchor').waitFor(LONG)
    const pods = await page.locator('.context-table td.pod').allTextContents()
    assert.deepEqual([...new Set(pods.filter(p => p !== ''))], [pod.pod], 'only lines from the anchor’s pod')
    await screenshot(page, '05-context-same-pod')

    // A search for the request path in demo-project finds the 404 line.
    await nav.getByRole('link', { name: 'Search', exact: true }).click()
    await page.getByLabel('Text').fill(request)
    await page.getByRole('button', { name: '+ Add a field filter' }).click()
    await page.getByLabel('Field filter').fill('kubernetes.namespace_name=demo-project')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    const hit = page.locator(`.log-table tr.log-row[data-offset="${anchorOffset}"]`)
    await hit.waitFor(LONG)
    assert.match(await hit.textContent() ?? '', / 404 /)
    await page.locator('.summary').filter({ hasText: /match/ }).waitFor(LONG)
    await screenshot(page, '06-search')

    // Silence the alert from its row: it shows as silenced, and the silence is listed.
    await nav.getByRole('link', { name: /^Alerts/ }).click()
    await alertRow.getByRole('button', { name: 'Silence…' }).click()
    await page.locator('#silence-dialog').getByRole('button', { name: 'Silence', exact: true }).click()
    await alertRow.locator('.badge', { hasText: 'silenced' }).waitFor(LONG)
    await page.locator('tr.silence-active').filter({ hasText: pod.pod }).waitFor(LONG)
    await screenshot(page, '07-alerts-silenced')

    // Scaling events, live.
    await nav.getByRole('link', { name: 'Scaling events' }).click()
    await page.locator('.events-table tr.event-scale').filter({ hasText: /0 → [1-9]/ }).first().waitFor(LONG)
    await screenshot(page, '08-events')

    assert.deepEqual(errors, [], 'no errors in the page')
  } finally {
    await browser.close()
    assert.equal(await stack.stop(), 0, stack.process.stderr)
  }
})

test('behind a token, the console asks for it, keeps it for the tab, and then shows the data', async () => {
  const token = 'console-test-token'
  const stack = await startUp({ token })
  const browser = await launchChromium()
  try {
    const { page } = await openPage(browser)
    await page.goto(`${stack.url}/`)
    const dialog = page.locator('#token-dialog')
    await dialog.getByLabel('Token').waitFor(LONG)
    await screenshot(page, '09-token-prompt', false)
    await dialog.getByLabel('Token').fill('a wrong token')
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await dialog.getByText('That token was not accepted').waitFor(LONG)
    await dialog.getByLabel('Token').fill(token)
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await page.locator('[data-function="logs-handler"]').waitFor(LONG)
    // A reload in the same tab needs no prompt: the token is in sessionStorage.
    await page.reload()
    await page.locator('[data-function="logs-handler"]').waitFor(LONG)
    assert.equal(await dialog.isVisible(), false)
  } finally {
    await browser.close()
    assert.equal(await stack.stop(), 0, stack.process.stderr)
  }
})
