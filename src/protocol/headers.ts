import type { Reader } from './reader.js'
import type { Writer } from './writer.js'
import { Writer as WriterImpl } from './writer.js'
import { encodeRequestHeader as encodeRequestHeaderImpl } from './generated/request-header.js'
import { apiMessages } from './generated/index.js'
import { decodeRequestHeader as decodeHeader } from './generated/request-header.js'
import { encodeResponseHeader as encodeHeader } from './generated/response-header.js'

const API_VERSIONS = 18

function isFlexible (apiKey: number, apiVersion: number): boolean {
  const m = apiMessages[apiKey]
  return m !== undefined && m.flexibleFrom >= 0 && apiVersion >= m.flexibleFrom
}

/** Request header v2 (with tagged fields) for flexible request versions, else v1. */
export function requestHeaderVersion (apiKey: number, apiVersion: number): number {
  return isFlexible(apiKey, apiVersion) ? 2 : 1
}

/**
 * Response header v1 for flexible versions, else v0 — except ApiVersions, whose response always
 * uses v0 so a client can read it before it knows which versions the broker speaks.
 */
export function responseHeaderVersion (apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS) return 0
  return isFlexible(apiKey, apiVersion) ? 1 : 0
}

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  headerVersion: number
}

/**
 * Reads a request header. The header version depends on the API and version, which come first
 * in every header version, so they are peeked before decoding. Versions outside the specs are
 * read as header v1: the caller then answers UNSUPPORTED_VERSION or closes.
 */
export function decodeRequestHeader (r: Reader): RequestHeader {
  if (r.remaining() < 8) throw new RangeError(`request header needs 8 bytes, frame has ${r.remaining()}`)
  const apiKey = r.buf.readInt16BE(r.offset)
  const apiVersion = r.buf.readInt16BE(r.offset + 2)
  const m = apiMessages[apiKey]
  const known = m !== undefined && apiVersion >= m.validVersions[0] && apiVersion <= m.validVersions[1]
  const headerVersion = known ? requestHeaderVersion(apiKey, apiVersion) : 1
  const h = decodeHeader(r, headerVersion)
  return { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId, headerVersion }
}

export function encodeResponseHeader (w: Writer, headerVersion: number, correlationId: number): void {
  encodeHeader(w, headerVersion, { correlationId })
}

/**
 * A whole request as it goes on the wire, in pieces for a vectored write: size prefix, then the
 * request header and body, whose large byte strings (record batches) are referenced, not copied.
 */
export function encodeRequestChunks (apiKey: number, apiVersion: number, body: unknown, correlationId: number, clientId: string): Buffer[] {
  const w = new WriterImpl()
  encodeRequestHeaderImpl(w, requestHeaderVersion(apiKey, apiVersion), { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId })
  apiMessages[apiKey].encodeRequest(w, apiVersion, body)
  const size = Buffer.alloc(4)
  size.writeInt32BE(w.length)
  return [size, ...w.toChunks()]
}

/** A whole request as it goes on the wire: size prefix, request header, body (the generated codec). */
export function encodeRequestFrame (apiKey: number, apiVersion: number, body: unknown, correlationId: number, clientId: string): Buffer {
  return Buffer.concat(encodeRequestChunks(apiKey, apiVersion, body, correlationId, clientId))
}
