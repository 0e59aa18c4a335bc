// The five rule kinds bench:rules measures, in process (bench/rules.ts) and through the runtime
// (bench/rules-runtime.ts), over the corpus of test/fixtures/rules/corpus.ts.
export const RULES: [string, string][] = [
  ['exception (|~ "(?i)exception", sum by)', 'sum by (namespace, pod, container) (count_over_time({namespace="shop"} |~ "(?i)exception" [1m])) > 0'],
  ['5xx ratio (two ranges)', 'sum by (namespace) (rate({namespace="shop", container="nginx"} |~ "\\" 5[0-9][0-9] " [1m])) / sum by (namespace) (rate({namespace="shop", container="nginx"}[1m])) > 0.05'],
  ['silent pod (absent_over_time)', 'absent_over_time({namespace="shop", pod="cart-7d9f8-x2k4p"}[1m])'],
  ['JSON errors (| json | level="error")', 'sum by (pod, route) (count_over_time({namespace="shop", app="api"} | json | level="error" [2m])) >= 3'],
  ['404s (|= " 404 " | pattern)', 'sum by (namespace, pod, path) (count_over_time({namespace="demo-project", pod=~"wordpress-v1-.+"} |= " 404 " | pattern `<_> "<method> <path> <_>" <status> <_>` | status="404" [1m])) > 0']
]

/** A rule file with the given expressions as rules R0, R1, … (and more rules as YAML, appended). */
export function ruleFile (exprs: string[], more = ''): string {
  return `groups:\n  - name: bench\n    rules:\n${exprs.map((e, i) => `      - alert: R${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}${more}`
}
