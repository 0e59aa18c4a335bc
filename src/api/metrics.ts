import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { FunctionStatus } from '../scaling/function-controller.js'
import type { EventLog } from '../scaling/events.js'

/**
 * Prometheus metrics, read from the controllers' status at scrape time so they can never
 * disagree with `GET /api/v1/functions`.
 */
export function createMetrics (functions: () => FunctionStatus[], events: EventLog): Registry {
  const register = new Registry()
  collectDefaultMetrics({ register, prefix: 'tidewatch_' })
  const perFunction = (name: string, help: string, value: (f: FunctionStatus) => number): void => {
    new Gauge({
      name,
      help,
      registers: [register],
      labelNames: ['function'],
      collect () {
        this.reset()
        for (const f of functions()) this.set({ function: f.name }, value(f))
      }
    })
  }
  perFunction('tidewatch_function_replicas', 'Replica processes running', f => f.replicas.current)
  perFunction('tidewatch_function_replicas_ready', 'Replicas that joined the consumer group', f => f.replicas.ready)
  perFunction('tidewatch_function_replicas_desired', 'Replicas the autoscaler wants', f => f.replicas.desired)
  perFunction('tidewatch_function_lag_records', 'Consumer lag over all partitions, as the autoscaler counts it', f => f.lag.total)
  perFunction('tidewatch_function_records_per_second', 'Records committed per second over the last 10 s', f => f.recordsPerSecond)
  perFunction('tidewatch_function_dead_letter_records', 'Records in the function\'s dead-letter topic', f => f.deadLetters)
  new Gauge({
    name: 'tidewatch_function_partition_lag_records',
    registers: [register],
    help: 'Consumer lag per partition',
    labelNames: ['function', 'partition'],
    collect () {
      this.reset()
      for (const f of functions()) for (const p of f.lag.partitions) this.set({ function: f.name, partition: String(p.partition) }, p.lag)
    }
  })
  new Counter({
    name: 'tidewatch_function_handler_errors_total',
    registers: [register],
    help: 'Records whose handler threw or timed out (they went to the dead-letter topic)',
    labelNames: ['function'],
    collect () {
      this.reset()
      for (const f of functions()) this.inc({ function: f.name }, f.handlerErrors)
    }
  })
  const scalingEvents = new Counter({ name: 'tidewatch_scaling_events_total', help: 'Scaling events by type (scale, replica-exit, crash-loop, error)', labelNames: ['function', 'type'], registers: [register] })
  events.subscribe(e => scalingEvents.inc({ function: e.function, type: e.type }))
  return register
}
