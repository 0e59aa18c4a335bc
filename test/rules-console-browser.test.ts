// The console's Rules view in a real browser (Debian's Chromium through playwright-core), served
// by `tidewatch up` with a rules project: each rule with its state, last value and the alerts it
// raised. A burst makes one rule fire and another go pending (for: 30m); the fired alert shows
// under Alerts and its link opens the record that crossed the threshold, in its context.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { launchChromium, openPage, screenshot } from './helpers/console-browser.js'
import { fluentBitRecord, produceSpread, writeRulesProject } from './helpers/rules-project.js'

const LONG = { timeout: 60_000 }
const RULES = `groups:
  - name: shop
    rules:
      - alert: DeclinedPayments
        expr: 'sum by (namespace) (count_over_time({namespace="shop"} |= "payment declined" [10m])) >= 300'
        labels: { severity: warning }
        annotations: { summary: 'declined payments in {{ $labels.namespace }}' }
      - alert: DeclinedForLong
        expr: 'sum by (namespace) (count_over_time({namespace="shop"} |= "payment declined" [10m])) >= 300'
        for: 30m
      - alert: CheckoutDown
        expr: 'sum(count_over_time({namespace="shop"} |= "checkout unavailable" [5m])) > 0'
`

test('the console lists rules with their state, last value and the alerts they raised', { timeout: 180_000 }, async () => {
  const dir = tempDir('tidewatch-rules-console-')
  const stack = await startUp({ config: writeRulesProject(dir, RULES, { replicas: 1 }), dataDir: path.join(dir, 'data') })
  const browser = await launchChromium()
  try {
    const { page, errors } = await openPage(browser)
    await page.goto(`${stack.url}/#/rules`)
    const card = (id: string): ReturnType<typeof page.locator> => page.locator(`[data-rule="${id}"]`)
    await card('shop/DeclinedPayments').locator('[data-testid="rule-state"]', { hasText: 'inactive' }).waitFor(LONG)
    // Evaluated (the value is known) before anything matched.
    await card('shop/CheckoutDown').locator('.rule-stats .muted', { hasText: 'evaluated at' }).waitFor(LONG)
    await screenshot(page, 'rules-01-inactive')

    await produceSpread(stack.bootstrap, 'logs', Array.from({ length: 300 }, (_, i) => fluentBitRecord(`payment declined for order ${i}`, `cart-${i % 3}`)))
    const declined = card('shop/DeclinedPayments')
    await declined.locator('[data-testid="rule-state"]', { hasText: 'firing' }).waitFor(LONG)
    assert.equal(await declined.getByTestId('rule-value').textContent(), '300')
    assert.equal(await declined.getByTestId('rule-alert-count').textContent(), '1')
    const row = declined.locator('tr.rule-alert-firing')
    assert.match(await row.textContent() ?? '', /namespace=shop/)
    assert.match(await row.textContent() ?? '', /severity=warning/)
    await card('shop/DeclinedForLong').locator('[data-testid="rule-state"]', { hasText: 'pending' }).waitFor(LONG)
    assert.equal(await card('shop/CheckoutDown').getByTestId('rule-state').textContent(), 'inactive')
    await declined.locator('details.rule-recent summary').click()
    await declined.locator('.rule-recent li', { hasText: 'firing' }).waitFor(LONG)
    await screenshot(page, 'rules-02-firing')

    // The alert under Alerts links to the record behind it: one of the burst's lines.
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: /^Alerts/ }).click()
    const alertRow = page.locator('tr.alert').filter({ hasText: 'declined payments in shop' })
    await alertRow.waitFor(LONG)
    await alertRow.getByRole('link', { name: 'Show in context' }).click()
    const anchor = page.locator('.context-table tr.anchor')
    await anchor.waitFor(LONG)
    assert.match(await anchor.textContent() ?? '', /payment declined for order \d+/)
    await screenshot(page, 'rules-03-context')
    assert.deepEqual(errors, [], 'no errors in the page')
  } finally {
    await browser.close()
    assert.equal(await stack.stop(), 0, stack.process.stderr.slice(-3000))
  }
})
