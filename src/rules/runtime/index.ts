/**
 * The rules runtime: a rules workload's replica process (both stages, over Kafka) and what it
 * reports. docs/rules-runtime.md ("How it works") describes ownership, evaluation time, state
 * recovery and what at-least-once means for a count.
 */
export { RulesReplica, internalRetentionMs, type RulesRuntimeConfig, type RulesReplicaOptions, type RulesReplicaStats } from './rules-replica.js'
export { mergeSummaries, summarize, type RuleSummary, type RuleAlertSummary, type RuleChangeSummary, type RuleStateName } from './summary.js'
export { internalNames, ownerPartition } from './messages.js'
export { contextUrl, RESEND_MS } from './alert-sender.js'
