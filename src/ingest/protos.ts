// The ingest protocols' own schemas, loaded with protobufjs from the .proto files vendored
// unchanged under vendor/ (Loki's pkg/push/push.proto with gogoproto's options file, and
// opentelemetry-proto's logs service). Loaded once, on the first request that needs them.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

// dist/src/ingest/protos.js (or src/ingest/protos.ts under a test build) → the package root.
function packageRoot (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'vendor'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error('cannot find the vendor/ folder with the ingest .proto files beside the package')
    dir = up
  }
  return dir
}

const require = createRequire(import.meta.url)

function load (includeDir: string, file: string): protobuf.Root {
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'))
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => {
    // google/protobuf/timestamp.proto is built into protobufjs; descriptor.proto (gogoproto's
    // options extend it) ships with it.
    if (target.startsWith('google/protobuf/')) return path.join(protobufjsDir, target)
    return path.isAbsolute(target) ? target : path.join(includeDir, target)
  }
  root.loadSync(path.join(includeDir, file))
  root.resolveAll()
  return root
}

export interface IngestSchemas {
  lokiPushRequest: protobuf.Type
  otlpLogsRequest: protobuf.Type
  otlpLogsResponse: protobuf.Type
}

let schemas: IngestSchemas | null = null

export function ingestSchemas (): IngestSchemas {
  if (schemas !== null) return schemas
  const vendor = path.join(packageRoot(), 'vendor')
  const loki = load(path.join(vendor, 'loki-push'), 'push.proto')
  const otlp = load(path.join(vendor, 'opentelemetry-proto'), 'opentelemetry/proto/collector/logs/v1/logs_service.proto')
  schemas = {
    lokiPushRequest: loki.lookupType('logproto.PushRequest'),
    otlpLogsRequest: otlp.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    otlpLogsResponse: otlp.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse')
  }
  return schemas
}
