import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMatchers } from './matchers.js'
import { buildRouteTree, groupLabelsFor, matchRoutes, routeAlert, type RouteSpec } from './route.js'

const spec = (fields: Partial<RouteSpec> & { match?: string }): RouteSpec =>
  ({ matchers: parseMatchers(fields.match ?? ''), continue: false, routes: [], ...fields })

// root (default, by alertname)
// ├─ team=frontend (frontend, by alertname+namespace, continue, group_wait 10s)
// │   └─ severity=critical (frontend-pager, repeat 1h)
// ├─ team=~front.* (audit)
// ├─ severity=critical (pager, by every label)
// └─ team=backend (backend, group_by [] inherits)
const root = buildRouteTree(spec({
  receiver: 'default',
  groupBy: ['alertname'],
  routes: [
    spec({ match: 'team="frontend"', receiver: 'frontend', groupBy: ['alertname', 'namespace'], continue: true, groupWaitMs: 10_000, routes: [spec({ match: 'severity="critical"', receiver: 'frontend-pager', repeatIntervalMs: 3_600_000 })] }),
    spec({ match: 'team=~"front.*"', receiver: 'audit' }),
    spec({ match: 'severity="critical"', receiver: 'pager', groupByAll: true }),
    spec({ match: 'team="backend"', receiver: 'backend', groupBy: [] })
  ]
}))

test('depth first; the first matching child wins unless it says continue; no matching child: the parent', () => {
  const cases: [Record<string, string>, string[]][] = [
    [{ alertname: 'X' }, ['default']],
    [{ alertname: 'X', team: 'frontend' }, ['frontend', 'audit']],
    [{ alertname: 'X', team: 'frontend', severity: 'critical' }, ['frontend-pager', 'audit']],
    [{ alertname: 'X', team: 'frontier', severity: 'critical' }, ['audit']],
    [{ alertname: 'X', severity: 'critical' }, ['pager']],
    [{ alertname: 'X', team: 'backend', severity: 'critical' }, ['pager']],
    [{ alertname: 'X', team: 'backend' }, ['backend']]
  ]
  for (const [labels, receivers] of cases) assert.deepEqual(matchRoutes(root, labels).map(r => r.options.receiver), receivers, JSON.stringify(labels))
})

test('options are inherited from the parent unless set; continue is not', () => {
  const [frontend, audit, pager, backend] = root.routes
  const frontendPager = frontend.routes[0]
  assert.deepEqual(root.options, { receiver: 'default', groupBy: ['alertname'], groupByAll: false, groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 })
  assert.deepEqual(frontendPager.options, { receiver: 'frontend-pager', groupBy: ['alertname', 'namespace'], groupByAll: false, groupWaitMs: 10_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 })
  assert.equal(frontendPager.continue, false)
  assert.deepEqual(audit.options.groupBy, ['alertname'])
  assert.equal(pager.options.groupByAll, true)
  assert.deepEqual(backend.options.groupBy, ['alertname'], 'an empty group_by inherits')
  assert.equal(frontendPager.path, 'route.routes.0.routes.0')
})

test('route keys chain the sorted matchers of every ancestor', () => {
  assert.equal(root.key, '{}')
  assert.equal(root.routes[0].routes[0].key, '{}/{team="frontend"}/{severity="critical"}')
  const r = buildRouteTree(spec({ receiver: 'r', routes: [spec({ match: 'z="1", a=~"x", a="x"' })] }))
  assert.equal(r.routes[0].key, '{}/{a="x",a=~"x",z="1"}')
})

test('group labels: only the group_by labels the alert has; every label for ...', () => {
  const labels = { alertname: 'X', team: 'frontend', pod: 'p' }
  assert.deepEqual(groupLabelsFor(root.routes[0], labels), { alertname: 'X' }, 'no namespace label: not an empty one')
  assert.deepEqual(groupLabelsFor(root.routes[2], labels), labels)
  assert.deepEqual(groupLabelsFor(buildRouteTree(spec({ receiver: 'r' })), labels), {}, 'no group_by: one group per route')
  assert.deepEqual(routeAlert(root, { alertname: 'X', team: 'frontend', namespace: 'shop' }).map(d => d.groupKey), [
    '{}/{team="frontend"}:{alertname="X", namespace="shop"}',
    '{}/{team=~"front.*"}:{alertname="X"}'
  ])
})

test('the root route needs a receiver', () => {
  assert.throws(() => buildRouteTree(spec({})), /root route must name a receiver/)
})
