// Debian's Chromium driven by playwright-core, for the console's browser tests. Chromium comes
// from `apt-get install chromium` (scripts/ensure-test-deps.sh); playwright-core downloads no
// browser of its own.
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { CLI } from './processes.js'

export const CHROMIUM = '/usr/bin/chromium'
export const SCREENSHOTS_DIR = path.resolve(path.dirname(CLI), '..', '..', 'test-results', 'screenshots')

export async function launchChromium (): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-test-deps.sh (apt-get install chromium)`)
  // --no-sandbox: the tests run as root in CI, where Chromium refuses its sandbox.
  return await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

/** A page the size of a laptop screen, with the page's own errors collected for the test to check. */
export async function openPage (browser: Browser): Promise<{ page: Page, errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 })
  const errors: string[] = []
  page.on('pageerror', err => errors.push(`page error: ${err.message}`))
  page.on('console', msg => { if (msg.type() === 'error' && !msg.text().includes('401')) errors.push(`console: ${msg.text()}`) })
  return { page, errors }
}

export async function screenshot (page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true })
  // From the top: a full-page shot of a scrolled page draws the sticky top bar mid-page.
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)')
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage })
  return file
}
