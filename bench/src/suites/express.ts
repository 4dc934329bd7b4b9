/**
 * HTTP response caching: requests/s of a cached Express route, @rediskit/express vs apicache
 * (Redis-backed through the `redis` v3 client, the one its README shows), on one local redis-server,
 * loopback only, bounded in requests and time.
 *
 * - Each contender's app runs in its own child process (one core for the server), and autocannon
 *   drives it from this process over 127.0.0.1: the load generator never shares the server's
 *   event loop.
 * - Bounded by time (autocannon's `duration`; its `amount` would override it) and by the closed
 *   loop: at most CONNECTIONS requests are in flight.
 * - The route takes 20 ms and answers a 1 KB JSON document; after one warm-up request every
 *   request is a cache hit, which is what is measured. An uncached app is the reference row.
 * - Every contender's answer is checked (status 200, the same body) before it is measured.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startRedis } from '@rediskit/testing'
import autocannon from 'autocannon'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 5)
const CONNECTIONS = 50
const CONTENDERS = ['no cache', 'apicache (Redis)', '@rediskit/express (Redis)'] as const
type Contender = (typeof CONTENDERS)[number]

const BODY = JSON.stringify({
  items: Array.from({ length: 12 }, (_, i) => ({
    id: i,
    name: `Product ${i}`,
    price: 10 + i,
    tags: ['a', 'b'],
  })),
})

/** The server side: runs in a child process (`express.ts serve <contender> <redis url>`). */
async function serve(contender: Contender, url: string): Promise<void> {
  const { default: express } = await import('express')
  const app = express()
  let cleanup = async (): Promise<void> => {}
  if (contender === 'apicache (Redis)') {
    // apicache's Redis mode needs the callback-style `redis` v3 client (it checks `client.connected`).
    const { default: apicache } = await import('apicache')
    const { createClient } = (await import('redis3')) as unknown as {
      createClient(options: { url: string }): {
        connected: boolean
        quit(): void
        once(e: string, f: () => void): void
      }
    }
    const redis = createClient({ url })
    await new Promise<void>((resolve) => redis.once('ready', resolve))
    app.use(apicache.options({ redisClient: redis as never }).middleware('5 minutes'))
    cleanup = async () => {
      redis.quit()
    }
  } else if (contender === '@rediskit/express (Redis)') {
    const { createCache } = await import('@rediskit/core')
    const { cacheResponse } = await import('@rediskit/express')
    const cache = createCache({ location: url, prefix: 'bench-http' })
    app.use(cacheResponse({ cache, ttl: '5m' }))
    cleanup = () => cache.close()
  }
  app.get('/catalog', (_req, res) => {
    setTimeout(() => res.type('application/json').send(BODY), 20)
  })
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
  })
  process.on('disconnect', () => {
    server.close()
    void cleanup().finally(() => process.exit(0))
  })
}

async function measureOne(contender: Contender, url: string): Promise<Measurement> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', contender, url], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port))
      child.once('exit', (code) => reject(new Error(`${contender} server exited with ${code}`)))
    })
    const target = `http://127.0.0.1:${port}/catalog`
    for (let i = 0; i < 2; i++) {
      const res = await fetch(target)
      const text = await res.text()
      if (res.status !== 200 || text !== BODY)
        throw new Error(`${contender} answered ${res.status} ${text.slice(0, 80)}`)
      // The second answer must come from the cache: X-Cache: HIT (ours), apicache-store (apicache).
      const hit = res.headers.get('x-cache') === 'HIT' || res.headers.has('apicache-store')
      if (i === 1 && contender !== 'no cache' && !hit)
        throw new Error(`${contender} did not serve a cache hit`)
    }
    const result = await autocannon({
      url: target,
      connections: CONNECTIONS,
      duration: DURATION_S,
    })
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${contender}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
    }
    return {
      name: contender,
      opsPerSec: result.requests.average,
      extra: { 'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99, requests: result.requests.total },
    }
  } finally {
    if (child.connected) child.disconnect()
  }
}

export async function run(): Promise<void> {
  const redis = await startRedis()
  try {
    const rows: Measurement[] = []
    for (const contender of CONTENDERS) rows.push(await measureOne(contender, redis.url))
    const table: Table = {
      title: `A cached Express 5 route (1 KB JSON, 20 ms handler), ${CONNECTIONS} connections, ${DURATION_S} s each`,
      baseline: 'apicache (Redis)',
      rows,
      notes: [
        'ops/s = requests/s (autocannon average). Each app runs alone in a child process; autocannon runs in the parent.',
      ],
    }
    writeReport('express', 'Express response cache: @rediskit/express vs apicache', [table])
  } finally {
    await redis.stop()
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3] as Contender, process.argv[4] as string)
