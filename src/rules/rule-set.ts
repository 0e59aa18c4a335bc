/**
 * The rules one engine runs, by id, and the owner key of a contribution: the rule and the
 * values of the labels its partition is decided by (partition.ts). A runtime that repartitions
 * contributions keys its internal topic by this, so every input of an output series meets at
 * one owner.
 */
import type { CompiledRule } from './compile.js'
import { ownerKeyOf } from './partition.js'
import type { LabelSet } from './labels.js'

export class RuleSet {
  readonly rules: readonly CompiledRule[]
  readonly #byId = new Map<string, CompiledRule>()

  constructor (rules: readonly CompiledRule[]) {
    this.rules = rules
    for (const r of rules) this.#byId.set(r.id, r)
  }

  get (id: string): CompiledRule | undefined { return this.#byId.get(id) }

  /**
   * Per frozen label set (the record stage shares one per pod and series), the owner key per
   * rule: records of one pod would otherwise work out the same key once each.
   */
  readonly #keys = new WeakMap<LabelSet, Map<string, string>>()

  /** The owner key of a contribution (or of an output series: the same labels decide it). */
  ownerKey (c: { rule: string, labels: LabelSet }): string {
    const rule = this.#byId.get(c.rule)
    if (rule === undefined) return c.rule
    if (!Object.isFrozen(c.labels)) return ownerKeyOf(rule.id, rule.partition, c.labels)
    let byRule = this.#keys.get(c.labels)
    if (byRule === undefined) this.#keys.set(c.labels, byRule = new Map())
    let key = byRule.get(rule.id)
    if (key === undefined) byRule.set(rule.id, key = ownerKeyOf(rule.id, rule.partition, c.labels))
    return key
  }

  /** The key under which a rule that needs one place for everything (partition by ()) lives. */
  ruleKey (id: string): string {
    return ownerKeyOf(id, { by: [] }, {})
  }
}
