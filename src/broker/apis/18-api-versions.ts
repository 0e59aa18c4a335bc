// ApiVersions (key 18): v0-3.
// - v3 is flexible and carries the client's software name and version; both are only logged.
// - The response always uses response header v0, whatever the version (see protocol/headers.ts).
// - An unsupported version gets a v0 body with UNSUPPORTED_VERSION and our ranges, so a client
//   that probed with its newest version (librdkafka sends v3, @platformatic/kafka v3/v4) can
//   retry with one we serve.
// Behaviour: the list is built from what the API files registered, so it cannot drift.
import { registerApi, registeredApis } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { Writer } from '../../protocol/writer.js'
import { decodeApiVersionsRequest } from '../../protocol/generated/api-versions-request.js'
import { encodeApiVersionsResponse } from '../../protocol/generated/api-versions-response.js'

function apiKeys (): { apiKey: number, minVersion: number, maxVersion: number }[] {
  return registeredApis().map(a => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }))
}

export function unsupportedApiVersionsResponse (w: Writer): void {
  encodeApiVersionsResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiKeys() })
}

registerApi({
  key: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  allowedBeforeAuth: true,
  decodeRequest: decodeApiVersionsRequest,
  encodeResponse: encodeApiVersionsResponse,
  handle (ctx, req) {
    if (req.clientSoftwareName !== '') {
      ctx.core.logger.debug({ conn: ctx.connection.id, client: `${req.clientSoftwareName}/${req.clientSoftwareVersion}` }, 'client software')
    }
    return { errorCode: ErrorCode.NONE, apiKeys: apiKeys(), throttleTimeMs: 0 }
  }
})
