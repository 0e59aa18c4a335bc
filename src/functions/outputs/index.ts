import type { OutputConfig } from '../config/load.js'
import type { KafkaClient } from '../../kafka/client.js'
import type { Output } from './output.js'
import { alertmanagerOutput, slackOutput, webhookOutput } from './http-outputs.js'

export type { Output } from './output.js'

/** Builds the runtime output for each configured one. */
export function createOutput (c: OutputConfig, deps: { kafka: KafkaClient, write: (line: string) => void }): Output {
  switch (c.type) {
    case 'alertmanager': return alertmanagerOutput(c)
    case 'webhook': return webhookOutput(c)
    case 'slack': return slackOutput(c)
    case 'kafka': return {
      name: c.name,
      type: 'kafka',
      deliver: async payloads => {
        await deps.kafka.produce(payloads.map(p => ({ topic: c.topic, value: typeof p === 'string' ? p : JSON.stringify(p) })))
      }
    }
    case 'log': {
      // The line is {"output":NAME,"payload":...}; the prefix is the same for every line.
      const prefix = `{"output":${JSON.stringify(c.name)},"payload":`
      return {
        name: c.name,
        type: 'log',
        // One write per batch: a write per line was a system call per alert on a pipe.
        deliver: async payloads => {
          let text = ''
          for (const p of payloads) text += p === undefined ? `{"output":${JSON.stringify(c.name)}}\n` : `${prefix}${JSON.stringify(p)}}\n`
          if (text !== '') deps.write(text)
        }
      }
    }
  }
}
