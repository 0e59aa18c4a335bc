// Realistic demo traffic: Apache access-log lines from WordPress and other pods, wrapped the way
// Fluent Bit's kafka output ships a container log line (CRI parser fields + kubernetes filter
// metadata), so the reference 404 function sees exactly what it sees on a cluster.

export interface DemoPod { namespace: string, pod: string, container: string, image: string, app: string, host: string }

export const DEMO_PODS: DemoPod[] = [
  { namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-hdn2z', container: 'wordpress', image: 'wordpress:4.8-apache', app: 'wordpress', host: 'node-1' },
  { namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-x7kqp', container: 'wordpress', image: 'wordpress:4.8-apache', app: 'wordpress', host: 'node-2' },
  { namespace: 'shop', pod: 'storefront-7d9c8b6f4d-m2vfr', container: 'httpd', image: 'httpd:2.4', app: 'storefront', host: 'node-1' },
  { namespace: 'blog', pod: 'wordpress-v2-6b7f9d8c5-qq4ls', container: 'wordpress', image: 'wordpress:6.4-apache', app: 'wordpress', host: 'node-3' }
]

const PAGES = ['/', '/blog/', '/blog/hello-world/', '/about/', '/contact/', '/wp-content/themes/twentyseventeen/style.css', '/wp-includes/js/jquery/jquery.js', '/feed/', '/?p=42', '/category/news/']
const MISSING = ['/wp-login.php.bak', '/old-site/index.html', '/wp-content/uploads/2019/03/banner.png', '/.env', '/xmlrpc.php?rsd', '/blog/2017/07/deleted-post/', '/images/logo-old.svg']
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', 'curl/8.4.0']
const CRAWLER = 'Mozilla/5.0 (compatible; LinkCheckBot/2.1)'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A small deterministic PRNG (mulberry32), so tests and demos can replay the same traffic. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]

/** Apache's common log time: 22/Nov/2026:05:20:00 +0000. */
function apacheTime (d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
}

export interface AccessLogOptions {
  now: Date
  pod: DemoPod
  status: 200 | 304 | 404 | 500
  /** A crawler walking dead links: 404s in a row with the same user agent. */
  crawler?: boolean
}

/** One access-log line as Fluent Bit ships it to Kafka (JSON). */
export function accessLogRecord (rand: () => number, o: AccessLogOptions): string {
  const path = o.status === 404 ? pick(rand, MISSING) : pick(rand, PAGES)
  const method = o.status === 404 || rand() < 0.9 ? 'GET' : 'POST'
  const ip = `10.233.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`
  const bytes = o.status === 404 ? 196 + Math.floor(rand() * 40) : 1000 + Math.floor(rand() * 50_000)
  const agent = o.crawler === true ? CRAWLER : pick(rand, AGENTS)
  const log = `${ip} - - [${apacheTime(o.now)}] "${method} ${path} HTTP/1.1" ${o.status} ${bytes} "-" "${agent}"`
  return JSON.stringify({
    '@timestamp': o.now.getTime() / 1000,
    time: o.now.toISOString(),
    stream: 'stdout',
    logtag: 'F',
    // Container runtimes end the line with its newline; Fluent Bit keeps it.
    log: log + '\n',
    kubernetes: {
      pod_name: o.pod.pod,
      namespace_name: o.pod.namespace,
      host: o.pod.host,
      container_name: o.pod.container,
      container_image: o.pod.image,
      labels: { app: o.pod.app }
    }
  })
}

/** Ordinary browsing: mostly 200s and 304s, now and then a 404 or a 500, from every pod. */
export function browsingRecord (rand: () => number, now: Date): string {
  const r = rand()
  const status = r < 0.03 ? 404 : r < 0.04 ? 500 : r < 0.2 ? 304 : 200
  return accessLogRecord(rand, { now, pod: pick(rand, DEMO_PODS), status })
}

/** A crawler hitting dead links on the demo-project WordPress: the scenario's 404 storm. */
export function crawlerRecord (rand: () => number, now: Date): string {
  const pods = DEMO_PODS.filter(p => p.namespace === 'demo-project')
  return accessLogRecord(rand, { now, pod: pick(rand, pods), status: rand() < 0.7 ? 404 : 200, crawler: true })
}
