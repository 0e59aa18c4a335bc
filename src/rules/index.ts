/**
 * The rules engine's API, for `tidewatch test` and for the runtime that will run rules as
 * workloads. Two stages (docs/rules.md, "Two stages"):
 *
 *   loadRuleFile(file) → { rules }                          rule groups, compiled and checked
 *   new RecordStage(rules).process(record) → Contribution[]  where records are read; stateless
 *   new RuleSet(rules).ownerKey(contribution) → string      what to repartition by
 *   new OwnerStage(ruleSet, { owns }).apply(contributions)   where a key's contributions meet
 *   owner.evaluate(T) → AlertChange[]                        at event time T; nextChange(T) says when next
 *   toPostable(change, generatorURL) → Alertmanager alert    firing and resolved only
 *   owner.snapshot() / owner.restore(s) / owner.release(f)   state as plain data, per owner key
 */
export { loadRuleFile, parseRuleFile, isRuleFileText, type RuleFile, type RuleGroup } from './file.js'
export type { CompiledRule } from './compile.js'
export { RecordStage, type Contribution, type SourceRecord, type RecordStageStats } from './record-stage.js'
export { RuleSet } from './rule-set.js'
export { OwnerStage, type OwnerOptions, type OwnerSnapshot, type ApplyStats } from './owner-stage.js'
export { toPostable, type AlertChange, type AlertState, type PostableAlert } from './alerts.js'
export type { Source } from './window.js'
export type { LabelSet } from './labels.js'
export { replay, settleMs, type ReplayEvent, type ReplayOptions } from './replay.js'
