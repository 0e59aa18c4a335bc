/**
 * Realistic log records: Fluent Bit's kafka output shape (format json, @timestamp first, CRI
 * parser fields, kubernetes filter metadata), ~400 bytes, 10% of them HTTP 404s from a
 * WordPress pod in demo-project — the reference scenario's traffic.
 */
export function fluentBitRecord (i: number): string {
  const status = i % 10 === 3 ? 404 : 200
  const path = status === 404 ? `/wp-content/missing-${i % 97}.png` : `/blog/post-${i % 500}`
  const ts = 1732252800 + i / 1000
  return JSON.stringify({
    '@timestamp': ts,
    time: new Date(ts * 1000).toISOString(),
    stream: 'stdout',
    logtag: 'F',
    message: `10.233.${i % 255}.${(i * 7) % 255} - - [22/Nov/2024:05:20:00 +0000] "GET ${path} HTTP/1.1" ${status} ${1000 + (i % 5000)} "-" "Mozilla/5.0"`,
    kubernetes: {
      pod_name: 'wordpress-v1-f54f697c5-hdn2z',
      namespace_name: 'demo-project',
      host: `node-${i % 3}`,
      container_name: 'wordpress',
      container_image: 'wordpress:4.8-apache',
      labels: { app: 'wordpress', version: 'v1' }
    }
  })
}
