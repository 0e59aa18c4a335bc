// The rules' record stage with the rule set's prefilter run in the consumer: records no rule can
// match never reach the stage, yet their offsets are committed and their times move the
// owners' evaluation time (the progress markers), against an in-process broker.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { ManualClock } from '../src/shared/clock.js'
import { silentLogger } from '../src/shared/logger.js'
import { RecordStage } from '../src/rules/record-stage.js'
import { RuleSet } from '../src/rules/rule-set.js'
import { InputRole } from '../src/rules/runtime/input-role.js'
import { decodePacked, type Marker } from '../src/rules/runtime/messages.js'
import { rulesOf, ruleFile } from '../src/rules/test-support.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { waitFor } from './helpers/wait.js'

const T = 1_700_000_000_000
const line = (namespace: string, log: string, i: number): string =>
  JSON.stringify({ time: new Date(T + i).toISOString(), log, kubernetes: { namespace_name: namespace, pod_name: `${namespace}-pod`, container_name: 'c' }, pad: 'x'.repeat(300) })

test('a partition of records no rule matches: none is handed to the record stage, all are committed, and its markers carry their latest Kafka timestamp (not -1 until it is read to its end)', { timeout: 180_000 }, async () => {
  const broker = await startTempBroker({ defaultPartitions: 2 })
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'input-filter-test' })
  // The clock stands still: partitions are checked for being read to their end once, at the
  // first batch, when the second one (15,000 records, ~6 MB, more than one Fetch brings) is not.
  const clock = new ManualClock(T + 3_600_000)
  let role: InputRole | undefined
  try {
    await kafka.ensureTopic('logs', 2)
    await kafka.ensureTopic('w.contributions', 1)
    const matching = Array.from({ length: 50 }, (_, i) => ({ topic: 'logs', partition: 0, value: line('shop', i % 2 === 0 ? 'boom: NullPointerException' : 'fine', i), timestamp: T + i }))
    const other = Array.from({ length: 15_000 }, (_, i) => ({ topic: 'logs', partition: 1, value: line('billing', 'an Exception elsewhere', i), timestamp: T + 10_000 + i }))
    for (let i = 0; i < other.length; i += 2000) await kafka.produce(other.slice(i, i + 2000))
    await kafka.produce(matching)
    const rules = rulesOf(ruleFile('sum by (pod) (count_over_time({namespace="shop"} |~ "(?i)exception" [1m])) > 0'))
    const stage = new RecordStage(rules)
    assert.notEqual(stage.valueFilter(), null)
    role = new InputRole({ kafka, stage, rules: new RuleSet(rules), topic: 'logs', group: 'w', startFrom: 'earliest', contributions: { topic: 'w.contributions', partitions: 1 }, logger: silentLogger(), clock, sleep: async () => {} })
    await role.join()
    const running = role.run()
    await waitFor(async () => {
      const c = await kafka.committedOffsets('w', 'logs')
      return c.get(0) === matching.length && c.get(1) === other.length
    }, { what: 'every input offset committed', timeoutMs: 120_000 })
    role.stop()
    await running
    assert.equal(role.stats.records, matching.length + other.length)
    // Only the matching partition's records went through the stage (the prefilter looks at every record it is given).
    assert.ok(stage.stats.records <= matching.length, `the stage was given ${stage.stats.records} records`)
    assert.equal(role.stats.contributions, 25)

    const [reading] = await kafka.readFrom('w.contributions', [{ partition: 0, offset: 0 }], { maxBytesPerPartition: 8 * 1024 * 1024 })
    const packed = reading.records.map(r => decodePacked(r.value!))
    const counted = packed.reduce((n, p) => n + p.contributions.length + p.aggregates.reduce((m, a) => m + a.offsets.length, 0), 0)
    assert.equal(counted, 25)
    const markers: Marker[] = packed.flatMap(p => p.markers).filter(m => m.partition === 1)
    assert.ok(markers.length > 1, `${markers.length} markers for partition 1`)
    assert.ok(markers.every(m => !m.idle), 'partition 1 was never found read to its end (the clock stood still)')
    assert.equal(markers[markers.length - 1].ts, T + 10_000 + other.length - 1)
    assert.ok(markers.some(m => m.ts > 0 && m.ts < T + 10_000 + other.length - 1), 'the marker moved along while the partition was read')
  } finally {
    role?.stop()
    await role?.close()
    await kafka.close()
    await broker.close()
  }
})
