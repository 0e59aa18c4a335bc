// AlterConfigs (key 33): v0-2.
// - v1 only changes throttling semantics; v2 is flexible.
// Behaviour: a topic's explicit configs are replaced by the ones given (the others return to
// their defaults), validated as a whole (INVALID_CONFIG naming the config) and kept in its
// topic.json; validateOnly checks without changing anything. On the broker resource (its id,
// or '' for the cluster default), the dynamic broker configs are replaced the same way
// (broker-configs.ts: log defaults apply to every topic that sets none; others are refused
// naming what can change). Group configs are not alterable (INVALID_REQUEST saying why).
import { registerApi } from './registry.js'
import { RESOURCE_BROKER, RESOURCE_TOPIC, brokerResourceProblem, unalterable } from './config-resources.js'
import { decodeAlterConfigsRequest } from '../../protocol/generated/alter-configs-request.js'
import { encodeAlterConfigsResponse } from '../../protocol/generated/alter-configs-response.js'

registerApi({
  key: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeAlterConfigsRequest,
  encodeResponse: encodeAlterConfigsResponse,
  handle (ctx, req) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map(r => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName }
        const configs: Record<string, string> = {}
        for (const c of r.configs) if (c.value !== null) configs[c.name] = c.value
        if (r.resourceType === RESOURCE_BROKER) return { ...base, ...(brokerResourceProblem(r.resourceName) ?? ctx.core.setBrokerConfigs(configs, req.validateOnly)) }
        if (r.resourceType !== RESOURCE_TOPIC) return { ...base, ...unalterable(r.resourceType) }
        const outcome = ctx.core.logs.alterConfigs(r.resourceName, configs, req.validateOnly)
        if (outcome.errorCode === 0 && !req.validateOnly) ctx.core.logger.info({ topic: r.resourceName, configs }, 'topic configs replaced')
        return { ...base, ...outcome }
      })
    }
  }
})
