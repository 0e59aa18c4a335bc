// IncrementalAlterConfigs (key 44): v0-1.
// - v1 is flexible.
// Behaviour: SET, DELETE (back to the default), APPEND and SUBTRACT (list configs only) on a
// topic's configs; the result is validated as a whole and kept in topic.json, or refused with
// INVALID_CONFIG naming the config. validateOnly checks without changing anything. The broker
// resource's dynamic configs change the same way (see AlterConfigs); group configs are not
// alterable (INVALID_REQUEST saying why).
import { registerApi } from './registry.js'
import { RESOURCE_BROKER, RESOURCE_TOPIC, brokerResourceProblem, unalterable, incrementalConfigs, incrementalBrokerConfigs } from './config-resources.js'
import { decodeIncrementalAlterConfigsRequest } from '../../protocol/generated/incremental-alter-configs-request.js'
import { encodeIncrementalAlterConfigsResponse } from '../../protocol/generated/incremental-alter-configs-response.js'

registerApi({
  key: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeIncrementalAlterConfigsRequest,
  encodeResponse: encodeIncrementalAlterConfigsResponse,
  handle (ctx, req) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map(r => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName }
        if (r.resourceType === RESOURCE_BROKER) {
          const problem = brokerResourceProblem(r.resourceName)
          if (problem !== null) return { ...base, ...problem }
          const configs = incrementalBrokerConfigs(ctx.core, r.configs)
          if ('errorCode' in configs) return { ...base, errorCode: configs.errorCode as number, errorMessage: configs.errorMessage as string | null }
          return { ...base, ...ctx.core.setBrokerConfigs(configs, req.validateOnly) }
        }
        if (r.resourceType !== RESOURCE_TOPIC) return { ...base, ...unalterable(r.resourceType) }
        const next = incrementalConfigs(ctx.core, r.resourceName, r.configs)
        if ('errorCode' in next) return { ...base, errorCode: next.errorCode as number, errorMessage: next.errorMessage as string | null }
        const outcome = ctx.core.logs.alterConfigs(r.resourceName, next, req.validateOnly)
        if (outcome.errorCode === 0 && !req.validateOnly) ctx.core.logger.info({ topic: r.resourceName, configs: next }, 'topic configs changed')
        return { ...base, ...outcome }
      })
    }
  }
})
