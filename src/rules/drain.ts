/**
 * Drain (He et al., ICWS 2017), the log template miner Loki's pattern ingester and Drain3 use:
 * a line's tokens go down a fixed-depth tree (token count, then the first tokens) to a leaf of
 * clusters; the most similar cluster takes the line if similarity reaches the threshold, and
 * positions where they differ become `<*>`; otherwise the line starts a new cluster. Before
 * mining, variable parts are masked (numbers, hex, IPs, UUIDs), so `user 42 from 10.0.0.1` and
 * `user 7 from 10.0.0.2` share `user <NUM> from <IP>` at once.
 *
 * Defaults are Drain3's: depth 4 (one token level below the count), similarity 0.4, 100
 * children per node; clusters are capped (least recently matched evicted). The state is plain
 * data (snapshot/restore), so learned templates survive restarts.
 */

export const PARAM = '<*>'

export interface DrainOptions {
  depth: number
  similarity: number
  maxChildren: number
  maxClusters: number
  /** Longer lines are mined on their first tokens only. */
  maxTokens: number
}

export const DRAIN_DEFAULTS: DrainOptions = { depth: 4, similarity: 0.4, maxChildren: 100, maxClusters: 10_000, maxTokens: 80 }

// Masks, applied in order; each matches a whole token part (not inside a word).
const MASKS: [RegExp, string][] = [
  [/(?<![A-Za-z0-9])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![A-Za-z0-9])/g, '<UUID>'],
  [/(?<![A-Za-z0-9.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?(?![A-Za-z0-9.])/g, '<IP>'],
  // IPv6: hex groups with a '::' or a hex letter somewhere (so 12:30:45 stays a time).
  [/(?<![A-Za-z0-9:])(?=[0-9a-fA-F:]*::|[0-9:]*[a-fA-F])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}(?![A-Za-z0-9:])/g, '<IP>'],
  [/(?<![A-Za-z0-9])0[xX][0-9a-fA-F]+(?![A-Za-z0-9])/g, '<HEX>'],
  // Hex strings of 8+ characters with a digit and a letter (ids, hashes, trace ids).
  [/(?<![A-Za-z0-9])(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}(?![A-Za-z0-9])/g, '<HEX>'],
  [/(?<![A-Za-z0-9])[-+]?\d+(?:\.\d+)?(?![A-Za-z0-9])/g, '<NUM>']
]

/** A line with its variable parts masked. */
export function maskLine (line: string): string {
  let out = line
  for (const [re, mask] of MASKS) out = out.replace(re, mask)
  return out
}

export interface Cluster { id: number, tokens: string[], size: number, lastUsed: number }

interface Node { children: Map<string, Node>, clusters: number[] }

const newNode = (): Node => ({ children: new Map(), clusters: [] })

export interface DrainSnapshot { nextId: number, tick: number, clusters: { id: number, tokens: string[], size: number, lastUsed: number, path: string[] }[] }

export class Drain {
  readonly options: DrainOptions
  readonly #root = newNode()
  readonly #clusters = new Map<number, Cluster>()
  /** The tree path each cluster was filed under (its first tokens when created). */
  readonly #paths = new Map<number, string[]>()
  #nextId = 1
  #tick = 0

  constructor (options: Partial<DrainOptions> = {}) {
    this.options = { ...DRAIN_DEFAULTS, ...options }
  }

  get size (): number { return this.#clusters.size }

  clusters (): Cluster[] { return [...this.#clusters.values()] }

  /** Mines one (already masked) line: the cluster it joined or started. */
  add (line: string): { cluster: Cluster, created: boolean, changed: boolean } {
    const tokens = tokenize(line, this.options.maxTokens)
    this.#tick++
    const found = this.#search(tokens)
    if (found !== undefined) {
      const merged = found.tokens.map((t, i) => t === tokens[i] ? t : PARAM)
      const changed = merged.some((t, i) => t !== found.tokens[i])
      found.tokens = merged
      found.size++
      found.lastUsed = this.#tick
      return { cluster: found, created: false, changed }
    }
    const cluster: Cluster = { id: this.#nextId++, tokens, size: 1, lastUsed: this.#tick }
    this.#clusters.set(cluster.id, cluster)
    this.#file(cluster, this.#pathOf(tokens))
    if (this.#clusters.size > this.options.maxClusters) this.#evict()
    return { cluster, created: true, changed: false }
  }

  /** The cluster a line would join, without learning from it. */
  match (line: string): Cluster | undefined {
    return this.#search(tokenize(line, this.options.maxTokens))
  }

  #leaf (tokens: string[], create: boolean, path?: string[]): Node | undefined {
    let node = this.#root.children.get(String(tokens.length))
    if (node === undefined) {
      if (!create) return undefined
      this.#root.children.set(String(tokens.length), node = newNode())
    }
    const levels = tokenLevels(this.options.depth, tokens.length)
    for (let d = 0; d < levels; d++) {
      const key = path !== undefined ? path[d] : tokens[d]
      const next: Node | undefined = node.children.get(key) ?? (path === undefined ? node.children.get(PARAM) : undefined)
      if (next !== undefined) { node = next; continue }
      if (!create) return undefined
      const child = newNode()
      node.children.set(key, child)
      node = child
    }
    return node
  }

  /** Which child each of a new cluster's first tokens goes under (Drain3's rules for full nodes and numbers). */
  #pathOf (tokens: string[]): string[] {
    const path: string[] = []
    let node = this.#root.children.get(String(tokens.length))
    const levels = tokenLevels(this.options.depth, tokens.length)
    for (let d = 0; d < levels; d++) {
      const token = tokens[d]
      let key = token
      if (node === undefined || !node.children.has(token)) {
        const n = node?.children.size ?? 0
        const hasParam = node?.children.has(PARAM) === true
        if (/\d/.test(token)) key = PARAM
        else if (hasParam ? n >= this.options.maxChildren : n + 1 >= this.options.maxChildren) key = PARAM
      }
      path.push(key)
      node = node?.children.get(key)
    }
    return path
  }

  #file (cluster: Cluster, path: string[]): void {
    this.#paths.set(cluster.id, path)
    const leaf = this.#leaf(cluster.tokens, true, path)!
    if (leaf.clusters.length > 16) leaf.clusters = leaf.clusters.filter(id => this.#clusters.has(id))
    leaf.clusters.push(cluster.id)
  }

  #search (tokens: string[]): Cluster | undefined {
    const leaf = this.#leaf(tokens, false)
    if (leaf === undefined) return undefined
    let best: Cluster | undefined
    let bestSim = -1
    let bestParams = -1
    for (const id of leaf.clusters) {
      // An evicted cluster's id stays in its leaf until the leaf is next changed.
      const c = this.#clusters.get(id)
      if (c === undefined) continue
      const { similarity, params } = similarityOf(c.tokens, tokens)
      if (similarity > bestSim || (similarity === bestSim && params > bestParams)) { best = c; bestSim = similarity; bestParams = params }
    }
    return best !== undefined && bestSim >= this.options.similarity ? best : undefined
  }

  #evict (): void {
    let oldest: Cluster | undefined
    for (const c of this.#clusters.values()) if (oldest === undefined || c.lastUsed < oldest.lastUsed) oldest = c
    if (oldest === undefined) return
    this.#clusters.delete(oldest.id)
    this.#paths.delete(oldest.id)
  }

  snapshot (): DrainSnapshot {
    return { nextId: this.#nextId, tick: this.#tick, clusters: this.clusters().map(c => ({ id: c.id, tokens: [...c.tokens], size: c.size, lastUsed: c.lastUsed, path: this.#paths.get(c.id) ?? [] })) }
  }

  static restore (s: DrainSnapshot, options: Partial<DrainOptions> = {}): Drain {
    const d = new Drain(options)
    d.#nextId = s.nextId
    d.#tick = s.tick
    for (const c of s.clusters) {
      const cluster: Cluster = { id: c.id, tokens: [...c.tokens], size: c.size, lastUsed: c.lastUsed }
      d.#clusters.set(c.id, cluster)
      d.#file(cluster, c.path)
    }
    return d
  }
}

/** Token levels under the count node: depth counts the root, the count node and the leaf (Drain3). */
function tokenLevels (depth: number, count: number): number {
  return Math.max(0, Math.min(depth - 3, count - 1))
}

export function tokenize (line: string, maxTokens: number): string[] {
  const tokens = line.trim().split(/\s+/).filter(t => t !== '')
  return tokens.length > maxTokens ? tokens.slice(0, maxTokens) : tokens
}

/** Drain's similarity: the share of positions equal to the template's (its `<*>` not counted). */
export function similarityOf (template: readonly string[], tokens: readonly string[]): { similarity: number, params: number } {
  if (template.length === 0) return { similarity: 1, params: 0 }
  let same = 0
  let params = 0
  for (let i = 0; i < template.length; i++) {
    if (template[i] === PARAM) { params++; continue }
    if (template[i] === tokens[i]) same++
  }
  return { similarity: same / template.length, params }
}
