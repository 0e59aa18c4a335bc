// Python confluent-kafka (Debian python3-confluent-kafka, librdkafka 2.0.2) as a transactional
// producer and a read_committed consumer, for the transaction tests.
import { spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import { PYTHON, run } from './processes.js'
import { waitFor } from './wait.js'

export async function python (script: string, args: string[]): Promise<string> {
  const r = await run(PYTHON, ['-c', script, ...args], { timeoutMs: 120_000 })
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`)
  return r.stdout
}

/**
 * Creates `topic` with `partitions`, then runs `rounds` transactions of 9 records over its
 * partitions, committing the even rounds and aborting the odd ones, with records from a plain
 * (non-transactional, idempotent) producer written in between the transactions' batches. Every
 * round touches every partition, so each partition ends with a marker. Prints
 * {"visible": [...], "aborted": [...]}: what read_committed must and must not hand out.
 */
export const PRODUCE_MIX = `
import sys, json
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
bs, topic, partitions, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
admin = AdminClient({'bootstrap.servers': bs})
for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values(): f.result()
tx = Producer({'bootstrap.servers': bs, 'transactional.id': 'mix-' + topic, 'linger.ms': 5})
plain = Producer({'bootstrap.servers': bs, 'enable.idempotence': True})
tx.init_transactions(30)
visible, aborted = [], []
for r in range(rounds):
    commit = r % 2 == 0
    tx.begin_transaction()
    for i in range(9):
        v = '%s-%d-%d' % ('c' if commit else 'a', r, i)
        tx.produce(topic, value=v.encode(), partition=i % partitions)
        (visible if commit else aborted).append(v)
        if i % 3 == 1:
            tx.flush(30)
            pv = 'p-%d-%d' % (r, i)
            plain.produce(topic, value=pv.encode(), partition=(i + r) % partitions)
            plain.flush(30)
            visible.append(pv)
    # Aborting drops what is not sent yet: flushing first puts every aborted record in the log.
    tx.flush(30)
    if commit: tx.commit_transaction(30)
    else: tx.abort_transaction(30)
print(json.dumps({'visible': visible, 'aborted': aborted}))
`

/**
 * Consumes `topic` from the start in group argv[3] with isolation.level argv[4] until the
 * position of every partition reaches its end (under read_committed, the LSO librdkafka's
 * ListOffsets returns), printing the values one a line.
 */
export const CONSUME = `
import sys, time
from confluent_kafka import Consumer, TopicPartition
bs, topic, group, isolation = sys.argv[1:5]
c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'isolation.level': isolation})
c.subscribe([topic])
got = []
deadline = time.time() + 60
while time.time() < deadline:
    for m in c.consume(500, 0.5):
        if m.error(): raise Exception(m.error())
        got.append(m.value().decode())
    parts = c.assignment()
    if not parts: continue
    done = True
    for tp in c.position(parts):
        low, high = c.get_watermark_offsets(TopicPartition(topic, tp.partition), 10)
        if high > 0 and tp.offset < high: done = False
    if done: break
else:
    raise Exception('did not reach the end of %s' % topic)
c.close()
print('\\n'.join(got))
`

/** A Python process the test talks to: lines in on stdin, lines out on stdout. */
export class PythonSession {
  readonly child: ChildProcess
  readonly lines: string[] = []
  stderr = ''
  #partial = ''

  constructor (script: string, args: string[]) {
    this.child = spawn(PYTHON, ['-u', '-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (this.#partial + d.toString()).split('\n')
      this.#partial = parts.pop()!
      this.lines.push(...parts)
    })
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString() })
  }

  /** The first line that starts with `prefix`, waiting for it. */
  async line (prefix: string, timeoutMs = 60_000): Promise<string> {
    await waitFor(() => this.lines.some(l => l.startsWith(prefix)) || this.child.exitCode !== null, { timeoutMs, what: `python to print ${prefix}` })
    const found = this.lines.find(l => l.startsWith(prefix))
    if (found === undefined) throw new Error(`python exited without printing ${prefix}:\n${this.stderr}`)
    return found
  }

  send (line: string): void { this.child.stdin!.write(line + '\n') }

  kill (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}
