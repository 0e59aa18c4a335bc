// The package entry: what `import ... from 'tidewatch'` gives a handler author.
export { defineFunction } from './functions/api.js'
export type { FunctionContext, FunctionDefinition, Handler, PostableAlert, RecordInfo } from './functions/api.js'
export { startBroker } from './broker/broker.js'
export type { BrokerOptions, RunningBroker } from './broker/broker.js'
