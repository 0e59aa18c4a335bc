import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FunctionStatus } from '../scaling/function-controller.js'
import { formatStatusTable } from './status-command.js'

const base: FunctionStatus = {
  name: 'logs-handler',
  topic: 'logs',
  consumerGroup: 'logs-handler',
  mode: 'autoscale',
  replicas: { current: 2, ready: 2, desired: 2, stopping: 0, min: 0, max: 10, spare: true },
  lag: { total: 42, partitions: [] },
  recordsPerSecond: 1234.5,
  handlerErrors: 1,
  deadLetters: 3,
  lastEvent: { seq: 7, time: '2026-11-23T12:00:01.000Z', function: 'logs-handler', type: 'scale', from: 4, to: 2, reason: 'lag 20 / lagThreshold 10 → 2' },
  observedAt: '2026-11-23T12:00:02.000Z',
  error: null
}

test('the status table: replicas with their range, replicas still leaving, lag, rate, errors and the last scaling', () => {
  const table = formatStatusTable([base, { ...base, name: 'other', replicas: { ...base.replicas, current: 0, desired: 0, stopping: 1 }, lastEvent: null, recordsPerSecond: 0.25 }])
  const [header, first, second] = table.split('\n')
  assert.match(header, /^FUNCTION\s+REPLICAS\s+DESIRED\s+LAG\s+RECORDS\/S\s+ERRORS\s+DLQ\s+LAST SCALING$/)
  assert.match(first, /^logs-handler\s+2 \(0-10\)\s+2\s+42\s+1235\s+1\s+3\s+12:00:01 4→2: lag 20 \/ lagThreshold 10 → 2$/)
  assert.match(second, /^other\s+0 \(0-10\) \+1 stopping\s+0\s+42\s+0\.3\s+1\s+3\s+-$/)
})

test('a function whose offsets cannot be read shows unknown lag and says why', () => {
  const table = formatStatusTable([{ ...base, error: 'broker unreachable' }])
  assert.match(table, /^logs-handler\s+2 \(0-10\)\s+2\s+unknown\s/m)
  assert.match(table, /^logs-handler: cannot read offsets: broker unreachable$/m)
  assert.equal(formatStatusTable([]), 'no functions')
})

test('a function whose replica met a problem shows it under the table, with its undecodable batches', () => {
  const table = formatStatusTable([{ ...base, undecodableBatches: 2, lastError: { time: '2026-11-23T12:00:05.000Z', message: 'logs/1/40-59: cannot decompress gzip records: incorrect header check' } }])
  assert.match(table, /^logs-handler: last problem at 12:00:05: logs\/1\/40-59: cannot decompress gzip records: incorrect header check$/m)
  assert.match(table, /^logs-handler: 2 undecodable batches sent to logs-handler\.dlq$/m)
  assert.doesNotMatch(formatStatusTable([base]), /last problem/)
})

test('a rules workload shows in the table as (rules), and its rules under it with state, last value and alerts', () => {
  const rules: FunctionStatus = {
    ...base,
    name: 'shop-rules',
    kind: 'rules',
    rules: [
      { id: 'shop/Burst', group: 'shop', alert: 'Burst', kind: 'metric', expr: 'x', state: 'firing', value: 4000, evaluatedAt: '2026-11-23T12:00:03.000Z', alerts: [{ labels: { alertname: 'Burst' }, state: 'firing', value: 4000, activeAt: '2026-11-23T12:00:01.000Z' }], recent: [{ state: 'firing', labels: { alertname: 'Burst', namespace: 'shop' }, value: 4000, at: '2026-11-23T12:00:01.000Z' }] },
      { id: 'shop/Quiet', group: 'shop', alert: 'Quiet', kind: 'metric', expr: 'y', state: 'inactive', value: null, evaluatedAt: null, alerts: [], recent: [] }
    ]
  }
  const table = formatStatusTable([base, rules])
  assert.match(table, /^shop-rules \(rules\)\s+2 \(0-10\)\s+2\s+42\s+1235\s+1\s+-\s/m)
  assert.match(table, /^RULE\s+STATE\s+VALUE\s+ALERTS\s+LAST CHANGE$/m)
  assert.match(table, /^shop-rules\/shop\/Burst\s+firing\s+4000\s+1\s+12:00:01 firing namespace=shop$/m)
  assert.match(table, /^shop-rules\/shop\/Quiet\s+inactive\s+-\s+0\s+-$/m)
})
