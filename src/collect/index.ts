// The collection agent's surface for the CLI (`tidewatch tail`, `tidewatch up`'s `tail:`).
export { TailAgent, type TailBatch, type FileStatus } from './agent.js'
export type { TailedFile } from './tailed-file.js'
export { DEFAULT_TAIL_OPTIONS, type TailOptions, type TailCompression } from './options.js'
export { FORMATS, type FormatOption } from './formats.js'
export { MULTILINE_MODES, multilineMode } from './multiline.js'
export { tailMetrics, progressLines } from './metrics.js'
export { envelope, nanosToRfc3339, rfc3339ToMs, K8S_ATTRIBUTES } from './envelope.js'
