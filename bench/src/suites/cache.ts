/**
 * Cache operations against one local redis-server (started here with @rediskit/testing's
 * harness), in one process, 200 concurrent callers, 100-byte values: rediskit (ioredis driver,
 * batching on and off; the native driver when @rediskit/parser ships it), raw ioredis (with and
 * without auto-pipelining), raw node-redis (5 and 6), keyv + @keyv/redis, cache-manager 7 + keyv, and
 * bentocache (L2 only, its redis driver).
 *
 * - Every contender writes its own keys with its own API first and reads one back (a fast wrong
 *   answer is not a result): raw clients store the 100-byte string as it is, the caches store it
 *   in their own format (rediskit's 4-byte frame + JSON, keyv's JSON envelope, bentocache's
 *   JSON entry).
 * - Workloads: get (hit), set, getMany of 100 keys, getOrSet on one hot key (every caller the same
 *   key), getOrSet hits spread over 1000 keys. Raw clients and keyv have no getOrSet: theirs is
 *   GET, then SET on a miss, as an application would write it.
 * - Each workload runs every contender in turn, for several rounds (interleaved, so a load spike
 *   from other processes hits one round of one contender, not a whole row); the table shows the
 *   median round. Latency: every operation is timed; p50/p99 over the median round.
 */
import { availableParallelism, loadavg } from 'node:os'
import { createKeyv } from '@keyv/redis'
import {
  createCache as createRediskit,
  type Cache as RediskitCache,
  StandaloneTopology,
} from '@rediskit/core'
import { startRedis } from '@rediskit/testing'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { createClient as createClient5 } from 'redis-v5'
import { type LoadResult, median, runLoad } from '../lib/load.js'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

/** A 100-byte string value. */
export const VALUE =
  'user:42 logged in from 203.0.113.7 with Firefox 128 on Linux; session 9f8e7d6c5b4a. Welcome back!!!'
const KEYS = 1000
const MANY = 100
const CONCURRENCY = 200
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 600)
const WARMUP_MS = 200
const BASELINE = 'ioredis (auto-pipelining)'

/** What a contender can do; a missing method means the library has no such operation. */
export interface Contender {
  name: string
  get(key: string): Promise<unknown>
  set(key: string, value: string): Promise<unknown>
  getMany?(keys: string[]): Promise<unknown[]>
  getOrSet?(key: string, factory: () => Promise<string>): Promise<unknown>
  close(): Promise<void>
  /** A footnote for the table (how the operation is done). */
  note?: string
}

type Factory = () => Promise<string>

/** GET, then SET on a miss: how an application does getOrSet on a plain client. */
function getThenSet(
  get: (key: string) => Promise<unknown>,
  set: (key: string, value: string) => Promise<unknown>,
): (key: string, factory: Factory) => Promise<unknown> {
  return async (key, factory) => {
    const hit = await get(key)
    if (hit !== null && hit !== undefined) return hit
    const value = await factory()
    await set(key, value)
    return value
  }
}

function rediskit(name: string, cache: RediskitCache): Contender {
  return {
    name,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
    getMany: (keys) => cache.getMany(keys),
    getOrSet: (key, factory) => cache.getOrSet(key, factory),
    close: () => cache.close(),
  }
}

/** Builds every contender against `url` (`redis://127.0.0.1:port/0`). */
export async function contenders(
  url: string,
  port: number,
): Promise<{ list: Contender[]; skipped: string[] }> {
  const list: Contender[] = []
  const skipped: string[] = []

  // A deadline far above any latency here: a load spike from other processes must not end the run.
  const commandTimeout = 30_000
  list.push(rediskit('rediskit', createRediskit({ location: url, prefix: 'rk', commandTimeout })))
  list.push(
    rediskit(
      'rediskit (batching off)',
      createRediskit({ location: url, prefix: 'rk0', batching: false, commandTimeout }),
    ),
  )

  // The native driver (@rediskit/parser's nativeDriver) joins the table once the package ships it.
  try {
    const parser = (await import('@rediskit/parser')) as Record<string, unknown>
    const nativeDriver = parser.nativeDriver
    if (typeof nativeDriver !== 'function')
      throw new Error('@rediskit/parser does not export nativeDriver yet')
    const driver = (
      nativeDriver as (location: string) => ConstructorParameters<typeof StandaloneTopology>[0]
    )(url)
    list.push(
      rediskit(
        'rediskit (native driver)',
        createRediskit({ topology: new StandaloneTopology(driver), prefix: 'rkn', commandTimeout }),
      ),
    )
  } catch (error) {
    skipped.push(`rediskit (native driver): ${error instanceof Error ? error.message : String(error)}`)
  }

  const auto = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true })
  list.push({
    name: BASELINE,
    get: (key) => auto.get(`ia:${key}`),
    set: (key, value) => auto.set(`ia:${key}`, value),
    getMany: (keys) => auto.mget(keys.map((key) => `ia:${key}`)),
    getOrSet: getThenSet(
      (key) => auto.get(`ia:${key}`),
      (key, value) => auto.set(`ia:${key}`, value),
    ),
    close: async () => {
      await auto.quit()
    },
  })
  const plain = new Redis({ port, host: '127.0.0.1' })
  list.push({
    name: 'ioredis',
    get: (key) => plain.get(`ip:${key}`),
    set: (key, value) => plain.set(`ip:${key}`, value),
    getMany: (keys) => plain.mget(keys.map((key) => `ip:${key}`)),
    getOrSet: getThenSet(
      (key) => plain.get(`ip:${key}`),
      (key, value) => plain.set(`ip:${key}`, value),
    ),
    close: async () => {
      await plain.quit()
    },
  })

  // node-redis 6 and 5 both: on Node 20, node-redis 6 traces every command through
  // diagnostics_channel (TracingChannel.hasSubscribers does not exist before Node 22, and it then
  // assumes a subscriber), which costs it most of its speed; node-redis 5 (what @keyv/redis uses)
  // does not.
  for (const [name, client, tag] of [
    ['node-redis 5', createClient5({ url }), 'n5'],
    ['node-redis 6', createClient({ url }), 'n6'],
  ] as const) {
    await client.connect()
    list.push({
      name,
      get: (key) => client.get(`${tag}:${key}`),
      set: (key, value) => client.set(`${tag}:${key}`, value),
      getMany: (keys) => client.mGet(keys.map((key) => `${tag}:${key}`)),
      getOrSet: getThenSet(
        (key) => client.get(`${tag}:${key}`),
        (key, value) => client.set(`${tag}:${key}`, value),
      ),
      close: async () => {
        client.destroy()
      },
    })
  }

  const keyv = createKeyv(url, { namespace: 'kv' })
  list.push({
    name: 'keyv + @keyv/redis',
    get: (key) => keyv.get(key),
    set: (key, value) => keyv.set(key, value),
    getMany: (keys) => keyv.getMany(keys),
    getOrSet: getThenSet(
      (key) => keyv.get(key),
      (key, value) => keyv.set(key, value),
    ),
    close: () => keyv.disconnect(),
  })

  const managerStore = createKeyv(url, { namespace: 'cm' })
  const manager = createCacheManager({ stores: [managerStore] })
  list.push({
    name: 'cache-manager 7 + keyv',
    get: (key) => manager.get(key),
    set: (key, value) => manager.set(key, value),
    getMany: (keys) => manager.mget(keys),
    getOrSet: (key, factory) => manager.wrap(key, factory),
    close: async () => {
      await manager.disconnect()
    },
  })

  const bento = new BentoCache({
    default: 'redis',
    stores: {
      redis: bentostore().useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port } })),
    },
  })
  list.push({
    name: 'bentocache (L2 only)',
    get: (key) => bento.get({ key }),
    set: (key, value) => bento.set({ key, value }),
    // bentocache has no multi-get: an application awaits the keys together.
    getMany: (keys) => Promise.all(keys.map((key) => bento.get({ key }))),
    getOrSet: (key, factory) => bento.getOrSet({ key, factory }),
    close: () => bento.disconnectAll(),
    note: 'bentocache has no multi-get: its getMany row is 100 concurrent get() calls.',
  })
  return { list, skipped }
}

const keys = Array.from({ length: KEYS }, (_, i) => `k:${i}`)
const lists = Array.from({ length: KEYS / MANY }, (_, i) => keys.slice(i * MANY, (i + 1) * MANY))
const HOT = 'hot'
const factory: Factory = async () => VALUE

interface Workload {
  title: string
  /** What one operation is, for the table title. */
  run(c: Contender): ((caller: number, n: number) => Promise<unknown>) | undefined
}

const workloads: Workload[] = [
  { title: 'get (hit), 100 B values', run: (c) => (i, n) => c.get(keys[(i * 7 + n) % KEYS] as string) },
  { title: 'set, 100 B values', run: (c) => (i, n) => c.set(keys[(i * 7 + n) % KEYS] as string, VALUE) },
  {
    title: `getMany(${MANY}) (hits; ops/s = getMany calls per second)`,
    run: (c) =>
      c.getMany === undefined ? undefined : (i, n) => c.getMany!(lists[(i + n) % lists.length] as string[]),
  },
  {
    title: 'getOrSet on one hot key (hit; every caller asks for the same key)',
    run: (c) => (c.getOrSet === undefined ? undefined : () => c.getOrSet!(HOT, factory)),
  },
  {
    title: 'getOrSet hits over 1000 keys',
    run: (c) =>
      c.getOrSet === undefined
        ? undefined
        : (i, n) => c.getOrSet!(keys[(i * 7 + n) % KEYS] as string, factory),
  },
]

/** Seeds a contender's keys and checks it reads them back. */
async function seed(c: Contender): Promise<void> {
  for (let start = 0; start < KEYS; start += 100) {
    await Promise.all(keys.slice(start, start + 100).map((key) => c.set(key, VALUE)))
  }
  await c.set(HOT, VALUE)
  const back = await c.get(keys[KEYS - 1] as string)
  if (back !== VALUE) throw new Error(`${c.name} does not read back what it wrote (got ${String(back)})`)
  if (c.getMany !== undefined) {
    const many = await c.getMany(lists[0] as string[])
    if (many.length !== MANY || many.some((v) => v !== VALUE)) throw new Error(`${c.name} getMany is wrong`)
  }
  if (c.getOrSet !== undefined && (await c.getOrSet(HOT, async () => 'wrong')) !== VALUE) {
    throw new Error(`${c.name} getOrSet does not hit`)
  }
}

function ms(value: number): string {
  return value < 1 ? value.toFixed(3) : value.toFixed(2)
}

export async function run(): Promise<void> {
  const load = loadavg()
  await using redis = await startRedis()
  const { list, skipped } = await contenders(redis.url, redis.primary.port)
  try {
    for (const c of list) await seed(c)
    const tables: Table[] = []
    const results = new Map<string, Map<string, LoadResult>>()
    for (const workload of workloads) {
      const rounds = new Map<string, LoadResult[]>()
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of list) {
          const op = workload.run(c)
          if (op === undefined) continue
          const result = await runLoad(op, { concurrency: CONCURRENCY, timeMs: TIME_MS, warmupMs: WARMUP_MS })
          rounds.set(c.name, [...(rounds.get(c.name) ?? []), result])
        }
        console.log(`  ${workload.title}: round ${round + 1}/${ROUNDS} done`)
      }
      const chosen = new Map<string, LoadResult>()
      const rows: Measurement[] = []
      for (const c of list) {
        const all = rounds.get(c.name)
        if (all === undefined) continue
        const mid = median(all.map((r) => r.opsPerSec))
        const pick = all.find((r) => r.opsPerSec === mid) ?? all[0]!
        chosen.set(c.name, pick)
        rows.push({
          name: c.name,
          opsPerSec: pick.opsPerSec,
          extra: {
            'p50 ms': ms(pick.p50),
            'p99 ms': ms(pick.p99),
            'best round ops/s': Math.round(Math.max(...all.map((r) => r.opsPerSec))).toLocaleString('en-US'),
          },
        })
      }
      results.set(workload.title, chosen)
      tables.push({ title: workload.title, baseline: BASELINE, rows })
    }
    const ratio = (workload: number, a: string, b: string): number => {
      const table = results.get(workloads[workload]!.title)!
      return table.get(a)!.opsPerSec / table.get(b)!.opsPerSec
    }
    const target = (label: string, value: number, goal: number): string =>
      `- ${label}: ${value.toFixed(2)}x (target >= ${goal}x: ${value >= goal ? 'met' : `MISSED by ${((1 - value / goal) * 100).toFixed(0)}%`})`
    const summary = [
      '**Targets** (issue 5; ratios from the tables above)',
      target('rediskit get vs ioredis auto-pipelined GET', ratio(0, 'rediskit', BASELINE), 3),
      target('rediskit get vs node-redis 5 GET', ratio(0, 'rediskit', 'node-redis 5'), 1.2),
      target('rediskit get vs node-redis 6 GET', ratio(0, 'rediskit', 'node-redis 6'), 1.2),
      target('rediskit get vs keyv + @keyv/redis', ratio(0, 'rediskit', 'keyv + @keyv/redis'), 5),
      target('rediskit get vs cache-manager 7', ratio(0, 'rediskit', 'cache-manager 7 + keyv'), 5),
      target('rediskit get vs bentocache L2', ratio(0, 'rediskit', 'bentocache (L2 only)'), 1),
      target(`rediskit getMany(${MANY}) vs ioredis MGET`, ratio(2, 'rediskit', BASELINE), 0.9),
    ]
    const notes = [
      `${CONCURRENCY} concurrent callers in one process, closed loop; ${ROUNDS} interleaved rounds of ${TIME_MS} ms (after ${WARMUP_MS} ms warm-up) per contender and workload; the median round is shown. One redis-server ${'(7.x, no persistence)'} on 127.0.0.1, shared by all contenders, in the same run.`,
      `Load average when the suite started: ${load.map((l) => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores: the machine is shared, so absolute numbers move between runs; ratios within one table are the comparable part.`,
      'rediskit: `createCache({ location, commandTimeout: 30000 })`, otherwise default options (JSON values in a 4-byte frame, circuit breaker on; the long deadline only keeps a load spike on the shared machine from ending the run, it costs the same as the default); `batching off` sends one GET per `get`. Raw clients store the string as it is; keyv/cache-manager/bentocache in their own JSON envelopes.',
      'getOrSet rows for ioredis, node-redis and keyv: GET, then SET on a miss (they have no getOrSet); cache-manager: `wrap`; bentocache: `getOrSet`. rediskit shares one read among concurrent getOrSet calls for the same key (in-process single-flight), which is what the hot-key row shows.',
      ...list.filter((c) => c.note !== undefined).map((c) => c.note as string),
      ...skipped.map((s) => `Not measured: ${s}.`),
      '',
      ...summary,
    ]
    const last = tables[tables.length - 1]
    if (last) last.notes = notes
    writeReport('cache', 'Cache operations: rediskit vs raw clients and other cache libraries', tables)
  } finally {
    await Promise.allSettled(list.map((c) => c.close()))
  }
}
