// The demo's inventory service: who owns a pod. Real handlers often make such a call per
// record (a CMDB, the Kubernetes API, an on-call schedule), and it is what gives a record a cost
// in wall time rather than CPU. In `tidewatch up --demo` the example function calls it for each
// 404 it matches, so a crawler storm honestly needs several replicas, even on a 2-core machine.
import http from 'node:http'

export const DEMO_ENRICH_LATENCY_MS = 30

const TEAMS: Record<string, string> = { 'demo-project': 'web', shop: 'payments', blog: 'content' }

export interface DemoEnrichment { url: string, calls: () => number, close: () => Promise<void> }

/** Listens on 127.0.0.1 (a free port); GET /owners?namespace=N&pod=P answers after `latencyMs`. */
export async function startDemoEnrichment (latencyMs = DEMO_ENRICH_LATENCY_MS): Promise<DemoEnrichment> {
  let calls = 0
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' || url.pathname !== '/owners') { res.writeHead(404).end(); return }
    calls++
    const namespace = url.searchParams.get('namespace') ?? ''
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ namespace, pod: url.searchParams.get('pod'), team: TEAMS[namespace] ?? 'unowned' }))
    }, latencyMs)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/owners`,
    calls: () => calls,
    close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}
