// The one RecordBatch codec: layout and header checks, codecs, in-place record walking,
// building and decoding. The broker, the log store, ingest and the consumer all use it.
export * from './layout.js'
export * from './compression.js'
export * from './records.js'
export * from './builder.js'
export * from './decode.js'
