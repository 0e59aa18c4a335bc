// What the autoscaler and the supervisor need to know of a workload, whatever it runs: a
// function (a handler over a topic) or a rules workload (rule files over a topic). Both are a
// consumer group on an input topic, scaled by its lag with the same `scale:` settings, and run
// as `tidewatch replica FILE` processes.
import type { FunctionConfig } from '../functions/config/load.js'
import type { FunctionFile } from '../functions/config/schema.js'

export type ScaleSettings = FunctionFile['scale']

export interface WorkloadSpec {
  kind: 'function' | 'rules'
  name: string
  /** The Function file or rule file the replicas load. */
  file: string
  input: { topic: string, consumerGroup: string, startFrom: 'earliest' | 'latest' }
  scale: ScaleSettings
  /** The topic whose records status counts as dead letters; null: the workload has none. */
  deadLetterTopic: string | null
}

/** A rules workload: its rule file(s) as one workload reading one topic. */
export interface RulesWorkloadSpec extends WorkloadSpec {
  kind: 'rules'
  /** The project file entry it came from, for messages. */
  source?: string
}

export function functionWorkload (config: FunctionConfig): WorkloadSpec {
  return { kind: 'function', name: config.name, file: config.file, input: config.input, scale: config.scale, deadLetterTopic: `${config.name}.dlq` }
}
