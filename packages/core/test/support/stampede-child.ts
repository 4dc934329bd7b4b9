/**
 * One process of the cross-process stampede tests (run with `node --import tsx`): connects, says
 * `ready`, waits for `go` on stdin, then makes CALLS concurrent getOrSet calls for one cold key and
 * prints a JSON summary. The factory counts its runs with INCR on the server (shared by every
 * process). MODE=hang: the first factory run across all processes never finishes (the test kills
 * its process while it holds the lease).
 */
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { createCache } from '../../src/create-cache.js'

const url = process.env.REDIS_URL as string
const key = process.env.KEY as string
const calls = Number(process.env.CALLS ?? 250)
const lockTtl = Number(process.env.LOCK_TTL ?? 5000)
const waitTimeout = Number(process.env.WAIT_TIMEOUT ?? 10_000)
const factoryMs = Number(process.env.FACTORY_MS ?? 200)
const hang = process.env.MODE === 'hang'

const counter = new Redis(url)
const cache = createCache({ location: url, prefix: 'stampede', commandTimeout: 5000 })

async function factory(): Promise<string> {
  const run = await counter.incr(`${key}:factory-runs`)
  if (hang && run === 1) {
    process.stdout.write('holder\n')
    return new Promise<string>(() => {})
  }
  await new Promise((resolve) => setTimeout(resolve, factoryMs))
  return `value from run ${run}`
}

await counter.ping()
await cache.has('warm-up')
process.stdout.write('ready\n')
const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  if (line !== 'go') continue
  const started = performance.now()
  const values = await Promise.all(
    Array.from({ length: calls }, () => cache.getOrSet(key, factory, { ttl: 60_000, lockTtl, waitTimeout })),
  )
  const summary = {
    count: values.length,
    distinct: [...new Set(values)],
    ms: Math.round(performance.now() - started),
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`)
  break
}
lines.close()
await cache.close()
counter.disconnect()
