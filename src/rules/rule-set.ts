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

  /** The owner key of a contribution (or of an output series: the same labels decide it). */
  ownerKey (c: { rule: string, labels: LabelSet }): string {
    const rule = this.#byId.get(c.rule)
    return rule === undefined ? c.rule : ownerKeyOf(rule.id, rule.partition, c.labels)
  }

  /** The key under which a rule that needs one place for everything (partition by ()) lives. */
  ruleKey (id: string): string {
    return ownerKeyOf(id, { by: [] }, {})
  }
}
