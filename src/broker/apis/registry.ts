import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'
import type { RequestContext } from './context.js'

/**
 * What one API key file declares about itself. ApiVersions is built from these declarations,
 * so what the broker advertises can never drift from what it implements.
 */
export interface ApiDefinition<Req = any, Res = any> {
  key: number
  name: string
  minVersion: number
  maxVersion: number
  decodeRequest: (r: Reader, version: number) => Req
  encodeResponse: (w: Writer, version: number, value: Res) => void
  /**
   * Returns the response body, or `null` when no response is sent at all (Produce with acks=0).
   * Kafka-level failures are error codes inside the response; a throw means the request cannot
   * be answered, and the connection is closed as a real broker does.
   */
  handle: (ctx: RequestContext, request: Req, version: number) => Res | null | Promise<Res | null>
  /** May be called before SASL authentication completes (ApiVersions, the SASL APIs). */
  allowedBeforeAuth?: boolean
}

const apis = new Map<number, ApiDefinition>()

export function registerApi<Req, Res> (def: ApiDefinition<Req, Res>): void {
  if (apis.has(def.key)) throw new Error(`API key ${def.key} registered twice`)
  if (def.minVersion > def.maxVersion) throw new Error(`API key ${def.key}: min version above max`)
  apis.set(def.key, def as ApiDefinition)
}

export function findApi (key: number): ApiDefinition | undefined {
  return apis.get(key)
}

export function registeredApis (): ApiDefinition[] {
  return [...apis.values()].sort((a, b) => a.key - b.key)
}
