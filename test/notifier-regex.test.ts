// A nested-quantifier regex freezes nothing: `(a+)+$` against 32+ a's followed by another
// character takes a backtracking engine (JavaScript's RegExp) longer than the age of the universe;
// the notifier's matchers run on RE2, in linear time. `tidewatch notifier` answers such filters
// correctly, takes a silence with that matcher and applies it, and answers other requests while
// the filters are in flight and afterwards. Every wait has a generous deadline; nothing is timed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, LineProcess, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const EVIL = '(a+)+$'

/** `promise`, or a failure naming what was not answered within a deadline meant only to end a hung test. */
async function answered<T> (what: string, promise: Promise<T>, deadlineMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`not answered within ${deadlineMs} ms: ${what}`)), deadlineMs) })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

interface Listed { labels: Record<string, string>, status: { state: string, silencedBy: string[] } }

test('a nested-quantifier regex in alert filters and a silence: right answers, and the server keeps answering everything else', { timeout: 120_000 }, async () => {
  const dir = tempDir('tidewatch-regex-')
  const configFile = path.join(dir, 'routing.yml')
  fs.writeFileSync(configFile, 'route: { receiver: r, group_by: [alertname], group_wait: 100ms, group_interval: 1s }\nreceivers: [{ name: r }]\n')
  const p = new LineProcess(process.execPath, [CLI, 'notifier', '--config', configFile, '--port', '0', '--data-dir', path.join(dir, 'data')])
  try {
    const line = await waitFor(() => p.lines.find(l => l.includes('listening on')), { what: `the notifier to listen (stderr: ${p.stderr})` })
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]
    const values: Record<string, string> = { match32: 'a'.repeat(32), match64: 'a'.repeat(64), almost32: `${'a'.repeat(32)}!`, almost48: `${'a'.repeat(48)}b`, other: 'b' }
    const alerts = [...Object.entries(values).map(([instance, a]) => ({ labels: { alertname: 'Evil', instance, a } })), { labels: { alertname: 'Evil', instance: 'none' } }]
    const posted = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) })
    assert.equal(posted.status, 200)

    const filter = `${url}/api/v2/alerts?filter=${encodeURIComponent(`a=~"${EVIL}"`)}`
    const instances = async (res: Response): Promise<string[]> => ((await res.json()) as Listed[]).map(a => a.labels.instance).sort()
    // Eight filters in flight, and meanwhile other requests, each of which must be answered.
    const filters = Array.from({ length: 8 }, async () => await instances(await fetch(filter)))
    for (const f of filters) f.catch(() => {}) // awaited below; a failure must not surface first as an unhandled rejection
    assert.equal(await answered('GET /-/healthy while the filters run', fetch(`${url}/-/healthy`).then(async r => await r.text())), 'OK')
    assert.equal((await answered('GET /api/v2/receivers while the filters run', fetch(`${url}/api/v2/receivers`))).status, 200)
    const negative = await answered('a negated filter', fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent(`a!~"${EVIL}"`)}`))
    assert.deepEqual(await instances(negative), ['almost32', 'almost48', 'none', 'other'], 'a missing label counts as empty for !~')
    for (const result of await answered('the nested-quantifier filters', Promise.all(filters))) assert.deepEqual(result, ['match32', 'match64'])

    // A silence with the same matcher: created, applied to listing and to the flush pipeline.
    const silence = { matchers: [{ name: 'a', value: EVIL, isRegex: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'test', comment: 'nested quantifier' }
    const created = await answered('POST /api/v2/silences', fetch(`${url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(silence) }))
    assert.equal(created.status, 200, await created.clone().text())
    const { silenceID } = await created.json() as { silenceID: string }
    const all = await (await answered('GET /api/v2/alerts with the silence', fetch(`${url}/api/v2/alerts`))).json() as Listed[]
    const silenced = all.filter(a => a.status.silencedBy.includes(silenceID)).map(a => a.labels.instance).sort()
    assert.deepEqual(silenced, ['match32', 'match64'])
    assert.deepEqual(await instances(await fetch(`${url}/api/v2/alerts?silenced=false`)), ['almost32', 'almost48', 'none', 'other'])
    const silences = await (await answered('GET /api/v2/silences with the regex as filter', fetch(`${url}/api/v2/silences?filter=${encodeURIComponent(`a=~"${EVIL}"`)}`))).json() as unknown[]
    assert.deepEqual(silences, [], 'the silence\'s own matcher value "(a+)+$" is not a run of a\'s')
    assert.equal(await answered('GET /-/healthy afterwards', fetch(`${url}/-/healthy`).then(async r => await r.text())), 'OK')
    assert.doesNotMatch(p.stderr, /"level":(50|60)/, 'no error logged')
  } finally {
    await p.stop('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
