import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AlertValidationError, compareAlerts, mergeAlert, normalizeAlert, normalizeAlerts, type Alert, type PostableAlert } from './alert.js'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const MIN = 60_000
const RESOLVE = 5 * MIN
const at = (ms: number): string => new Date(ms).toISOString()

test('defaults for missing startsAt/endsAt, as Alertmanager fills them in', () => {
  const cases: { name: string, post: Partial<PostableAlert>, startsAt: number, endsAt: number, timeout: boolean }[] = [
    { name: 'neither: starts now, resolves after resolve_timeout', post: {}, startsAt: NOW, endsAt: NOW + RESOLVE, timeout: true },
    { name: 'only startsAt', post: { startsAt: at(NOW - MIN) }, startsAt: NOW - MIN, endsAt: NOW + RESOLVE, timeout: true },
    { name: 'only endsAt: starts when it ends', post: { endsAt: at(NOW - MIN) }, startsAt: NOW - MIN, endsAt: NOW - MIN, timeout: false },
    { name: 'both', post: { startsAt: at(NOW - 2 * MIN), endsAt: at(NOW + MIN) }, startsAt: NOW - 2 * MIN, endsAt: NOW + MIN, timeout: false },
    { name: "Go's zero time means unset", post: { startsAt: '0001-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z' }, startsAt: NOW, endsAt: NOW + RESOLVE, timeout: true },
    { name: 'null means unset', post: { startsAt: null, endsAt: null }, startsAt: NOW, endsAt: NOW + RESOLVE, timeout: true },
    { name: 'offsets and fractions', post: { startsAt: '2024-05-01T13:59:00.250+02:00' }, startsAt: NOW - MIN + 250, endsAt: NOW + RESOLVE, timeout: true }
  ]
  for (const c of cases) {
    const a = normalizeAlert({ labels: { alertname: 'X' }, ...c.post }, NOW, RESOLVE)
    assert.deepEqual([a.startsAt, a.endsAt, a.timeout], [c.startsAt, c.endsAt, c.timeout], c.name)
    assert.equal(a.updatedAt, NOW)
  }
})

test('labels: empty values dropped (as Alertmanager does), fingerprint from labels only', () => {
  const a = normalizeAlert({ labels: { alertname: 'X', blank: '' }, annotations: { summary: 's', empty: '' }, generatorURL: 'http://x/y' }, NOW, RESOLVE)
  assert.deepEqual(a.labels, { alertname: 'X' })
  assert.deepEqual(a.annotations, { summary: 's', empty: '' })
  assert.equal(a.generatorURL, 'http://x/y')
  assert.equal(a.fingerprint, normalizeAlert({ labels: { alertname: 'X' } }, NOW + 1, RESOLVE).fingerprint)
})

test('validation errors name every bad field', () => {
  const cases: [unknown, string[]][] = [
    [{ labels: { 'foo-bar': 'x', '1a': 'y' } }, ['labels.foo-bar', 'labels.1a']],
    [{ labels: {} }, ['labels']],
    [{ labels: { only: '' } }, ['labels']],
    [{ labels: { a: 'b' }, annotations: { 'bad name': 'x' } }, ['annotations.bad name']],
    [{ labels: { a: 'b' }, startsAt: at(NOW), endsAt: at(NOW - MIN) }, ['endsAt']],
    [{ labels: { a: 'b' }, startsAt: at(NOW + RESOLVE + MIN) }, ['startsAt']],
    [{ labels: { a: 5 } }, ['labels.a']],
    [{ labels: { a: 'b' }, startsAt: 'yesterday' }, ['startsAt']],
    [{ labels: { a: 'b' }, generatorURL: 'not a url' }, ['generatorURL']],
    [{ annotations: {} }, ['labels']],
    ['nope', ['alert']]
  ]
  for (const [post, fields] of cases) {
    assert.throws(() => normalizeAlert(post as PostableAlert, NOW, RESOLVE), (err: unknown) => {
      assert.ok(err instanceof AlertValidationError)
      assert.deepEqual(err.problems.map(p => p.field), fields, JSON.stringify(post))
      assert.match(err.message, new RegExp(`^${fields[0].replace(/[.]/g, '\\.')}: `))
      return true
    })
  }
})

test('a batch keeps the valid alerts and reports the others by index', () => {
  const { alerts, problems } = normalizeAlerts([{ labels: { a: 'b' } }, { labels: {} }, { labels: { c: 'd' } }], NOW, RESOLVE)
  assert.deepEqual(alerts.map(a => a.labels), [{ a: 'b' }, { c: 'd' }])
  assert.deepEqual(problems.map(p => p.field), ['1.labels'])
  assert.deepEqual(normalizeAlerts({}, NOW, RESOLVE).problems.map(p => p.field), ['body'])
})

const alert = (startsAt: number, endsAt: number, updatedAt: number, timeout = false, summary = ''): Alert =>
  ({ fingerprint: 'f', labels: { a: 'b' }, annotations: { summary }, startsAt, endsAt, generatorURL: '', updatedAt, timeout })

test('merging a re-posted alert with the one held', () => {
  const cases: { name: string, held: Alert, incoming: Alert, startsAt: number, endsAt: number, summary: string }[] = [
    {
      name: 'heartbeat: newer annotations, earliest start, timeout pushed out',
      held: alert(NOW - 10 * MIN, NOW + 2 * MIN, NOW - 3 * MIN, true, 'old'),
      incoming: alert(NOW - MIN, NOW + 5 * MIN, NOW, true, 'new'),
      startsAt: NOW - 10 * MIN, endsAt: NOW + 5 * MIN, summary: 'new'
    },
    {
      name: 'explicit resolve ends it now',
      held: alert(NOW - 10 * MIN, NOW + 2 * MIN, NOW - 3 * MIN, true),
      incoming: alert(NOW - 10 * MIN, NOW, NOW),
      startsAt: NOW - 10 * MIN, endsAt: NOW, summary: ''
    },
    {
      name: 'a later explicit endsAt is not cut short by a timeout default',
      held: alert(NOW - 10 * MIN, NOW + 60 * MIN, NOW - MIN),
      incoming: alert(NOW - 10 * MIN, NOW + 5 * MIN, NOW, true),
      startsAt: NOW - 10 * MIN, endsAt: NOW + 60 * MIN, summary: ''
    },
    {
      name: 'a later timeout endsAt does yield to a newer one',
      held: alert(NOW - 10 * MIN, NOW + 60 * MIN, NOW - MIN, true),
      incoming: alert(NOW - 10 * MIN, NOW + 5 * MIN, NOW, true),
      startsAt: NOW - 10 * MIN, endsAt: NOW + 5 * MIN, summary: ''
    },
    {
      name: 'both resolved: the later resolution stands',
      held: alert(NOW - 10 * MIN, NOW - MIN, NOW - 2 * MIN),
      incoming: alert(NOW - 10 * MIN, NOW - 5 * MIN, NOW),
      startsAt: NOW - 10 * MIN, endsAt: NOW - MIN, summary: ''
    },
    {
      name: 'no overlap: a new episode replaces the old one',
      held: alert(NOW - 60 * MIN, NOW - 30 * MIN, NOW - 30 * MIN, false, 'old'),
      incoming: alert(NOW - MIN, NOW + 5 * MIN, NOW, true, 'new'),
      startsAt: NOW - MIN, endsAt: NOW + 5 * MIN, summary: 'new'
    }
  ]
  for (const c of cases) {
    const m = mergeAlert(c.held, c.incoming, NOW)
    assert.deepEqual([m.startsAt, m.endsAt, m.annotations.summary], [c.startsAt, c.endsAt, c.summary], c.name)
  }
})

test('alerts in a group are ordered by job, instance, then label count and values', () => {
  const a = (labels: Record<string, string>): Pick<Alert, 'labels'> => ({ labels })
  const sorted = [
    a({ alertname: 'X', pod: 'p0', extra: '1' }),
    a({ alertname: 'X', pod: 'p1' }),
    a({ alertname: 'X', job: 'web', instance: 'b' }),
    a({ alertname: 'X', job: 'api' }),
    a({ alertname: 'X', job: 'web', instance: 'a' }),
    a({ alertname: 'X', pod: 'p0' })
  ].sort(compareAlerts)
  assert.deepEqual(sorted.map(x => x.labels), [
    { alertname: 'X', job: 'api' },
    { alertname: 'X', job: 'web', instance: 'a' },
    { alertname: 'X', job: 'web', instance: 'b' },
    { alertname: 'X', pod: 'p0' },
    { alertname: 'X', pod: 'p1' },
    { alertname: 'X', pod: 'p0', extra: '1' }
  ])
})
