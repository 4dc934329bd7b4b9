/**
 * Redis Cluster: rediskit's `cluster()` topology against raw ioredis `Cluster`, on a
 * 3-primary / 3-replica cluster started here with @rediskit/testing's harness (all nodes on this
 * machine), in one process, 100-byte values.
 *
 * - Every contender writes its own keys with its own API first and reads some back (a fast wrong
 *   answer is not a result): ioredis stores the string as it is, rediskit in its 4-byte frame +
 *   JSON (and decodes it on every read).
 * - Workloads: get (hit) with 200 concurrent callers and with 1 caller; getMany of 100 keys spread
 *   over the whole cluster (about 100 hash slots on 3 nodes); getMany of 100 keys sharing one
 *   `{hash tag}` (one slot).
 * - ioredis has no cross-slot multi-get (MGET over keys of several slots fails with CROSSSLOT), so
 *   its spread getMany is what an application would write: 100 concurrent GETs (auto-pipelining
 *   groups them per node), or MGET per slot grouped by hand (what rediskit does inside). The
 *   tagged getMany is one MGET for everybody.
 * - Rounds are interleaved (a load spike from other processes hits one round of one contender,
 *   not a whole row); the table shows the median round.
 */
import { availableParallelism, loadavg } from 'node:os'
import { hashSlot, cluster as rediskitCluster } from '@rediskit/cluster'
import { type Cache, createCache } from '@rediskit/core'
import { startRedis } from '@rediskit/testing'
import { Cluster } from 'ioredis'
import { type LoadResult, median, runLoad } from '../lib/load.js'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

/** A 100-byte string value. */
const VALUE =
  'user:42 logged in from 203.0.113.7 with Firefox 128 on Linux; session 9f8e7d6c5b4a. Welcome back!!!'
const KEYS = 1000
const MANY = 100
const CONCURRENCY = 200
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 600)
const WARMUP_MS = 200
const BASELINE = 'ioredis Cluster (auto-pipelining)'

interface Contender {
  name: string
  get(key: string): Promise<unknown>
  set(key: string, value: string): Promise<unknown>
  /** Keys of several slots. */
  getMany(keys: string[]): Promise<unknown[]>
  /** Keys of one slot (a shared hash tag). */
  getTagged(keys: string[]): Promise<unknown[]>
  close(): Promise<void>
}

function rediskit(name: string, cache: Cache, close: () => Promise<void>): Contender {
  return {
    name,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
    getMany: (keys) => cache.getMany(keys),
    getTagged: (keys) => cache.getMany(keys),
    close: async () => {
      await cache.close()
      await close()
    },
  }
}

/** MGET per hash slot, in parallel, reassembled in order: a careful ioredis application's getMany. */
async function mgetPerSlot(client: Cluster, keys: readonly string[]): Promise<(string | null)[]> {
  const bySlot = new Map<number, number[]>()
  keys.forEach((key, index) => {
    const slot = hashSlot(key)
    const list = bySlot.get(slot)
    if (list === undefined) bySlot.set(slot, [index])
    else list.push(index)
  })
  const out = new Array<string | null>(keys.length).fill(null)
  await Promise.all(
    [...bySlot.values()].map(async (indexes) => {
      const values = await client.mget(indexes.map((index) => keys[index] as string))
      indexes.forEach((index, position) => {
        out[index] = values[position] ?? null
      })
    }),
  )
  return out
}

function ioredis(name: string, client: Cluster, prefix: string, perSlot: boolean): Contender {
  const k = (key: string): string => `${prefix}:${key}`
  return {
    name,
    get: (key) => client.get(k(key)),
    set: (key, value) => client.set(k(key), value),
    getMany: perSlot
      ? (keys) => mgetPerSlot(client, keys.map(k))
      : (keys) => Promise.all(keys.map((key) => client.get(k(key)))),
    getTagged: (keys) => client.mget(keys.map(k)),
    close: async () => {
      await client.quit()
    },
  }
}

const keys = Array.from({ length: KEYS }, (_, i) => `k:${i}`)
const lists = Array.from({ length: KEYS / MANY }, (_, i) => keys.slice(i * MANY, (i + 1) * MANY))
/** 10 tags of 100 keys each: each list lives in one slot. */
const tagged = Array.from({ length: KEYS / MANY }, (_, t) =>
  Array.from({ length: MANY }, (_, i) => `{tag${t}}:${i}`),
)

interface Workload {
  title: string
  concurrency: number
  run(c: Contender): (caller: number, n: number) => Promise<unknown>
}

const workloads: Workload[] = [
  {
    title: `get (hit), ${CONCURRENCY} concurrent callers`,
    concurrency: CONCURRENCY,
    run: (c) => (i, n) => c.get(keys[(i * 7 + n) % KEYS] as string),
  },
  {
    title: 'get (hit), 1 caller (sequential: latency-bound)',
    concurrency: 1,
    run: (c) => (_, n) => c.get(keys[n % KEYS] as string),
  },
  {
    title: `getMany(${MANY}) over ~${MANY} slots, ${CONCURRENCY / 10} concurrent callers (ops/s = getMany calls per second)`,
    concurrency: CONCURRENCY / 10,
    run: (c) => (i, n) => c.getMany(lists[(i + n) % lists.length] as string[]),
  },
  {
    title: `getMany(${MANY}) of one {hash tag} (one slot), ${CONCURRENCY / 10} concurrent callers`,
    concurrency: CONCURRENCY / 10,
    run: (c) => (i, n) => c.getTagged(tagged[(i + n) % tagged.length] as string[]),
  },
]

async function seed(c: Contender): Promise<void> {
  for (const list of [...lists, ...tagged]) await Promise.all(list.map((key) => c.set(key, VALUE)))
  const back = await c.get(keys[KEYS - 1] as string)
  if (back !== VALUE) throw new Error(`${c.name} does not read back what it wrote (got ${String(back)})`)
  const many = await c.getMany(lists[3] as string[])
  if (many.length !== MANY || many.some((v) => v !== VALUE)) throw new Error(`${c.name} getMany is wrong`)
  const one = await c.getTagged(tagged[3] as string[])
  if (one.length !== MANY || one.some((v) => v !== VALUE))
    throw new Error(`${c.name} tagged getMany is wrong`)
}

function ms(value: number): string {
  return value < 1 ? value.toFixed(3) : value.toFixed(2)
}

export async function run(): Promise<void> {
  const load = loadavg()
  await using redis = await startRedis({ topology: 'cluster' })
  const seeds = redis.primaries.map((p) => ({ host: p.host, port: p.port }))
  // A deadline far above any latency here: a load spike on the shared machine must not end the run.
  const commandTimeout = 30_000
  const topology = rediskitCluster({ nodes: redis.addresses, commandTimeout })
  const unbatched = rediskitCluster({ nodes: redis.addresses, commandTimeout })
  const list: Contender[] = [
    rediskit('rediskit', createCache({ topology, prefix: 'rk', commandTimeout }), () => topology.close()),
    rediskit(
      'rediskit (batching off)',
      createCache({ topology: unbatched, prefix: 'rk0', commandTimeout, batching: false }),
      () => unbatched.close(),
    ),
    ioredis(BASELINE, new Cluster(seeds, { enableAutoPipelining: true }), 'ia', false),
    ioredis('ioredis Cluster', new Cluster(seeds), 'ip', false),
    ioredis(
      'ioredis Cluster (auto-pipelining), MGET per slot',
      new Cluster(seeds, { enableAutoPipelining: true }),
      'is',
      true,
    ),
  ]
  try {
    for (const c of list) await seed(c)
    const tables: Table[] = []
    for (const workload of workloads) {
      const rounds = new Map<string, LoadResult[]>()
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of list) {
          const result = await runLoad(workload.run(c), {
            concurrency: workload.concurrency,
            timeMs: TIME_MS,
            warmupMs: WARMUP_MS,
          })
          rounds.set(c.name, [...(rounds.get(c.name) ?? []), result])
        }
        console.log(`  ${workload.title}: round ${round + 1}/${ROUNDS} done`)
      }
      const rows: Measurement[] = []
      for (const c of list) {
        const all = rounds.get(c.name) ?? []
        const mid = median(all.map((r) => r.opsPerSec))
        const pick = all.find((r) => r.opsPerSec === mid) ?? all[0]
        if (pick === undefined) continue
        rows.push({
          name: c.name,
          opsPerSec: pick.opsPerSec,
          extra: { 'p50 ms': ms(pick.p50), 'p99 ms': ms(pick.p99) },
        })
      }
      tables.push({ title: workload.title, baseline: BASELINE, rows })
    }
    const last = tables[tables.length - 1]
    if (last !== undefined) {
      last.notes = [
        `A 3-primary / 3-replica Redis Cluster (redis-server 7.x, no persistence) on 127.0.0.1, shared by all contenders, in one run. ${ROUNDS} interleaved rounds of ${TIME_MS} ms (after ${WARMUP_MS} ms warm-up) per contender and workload; the median round is shown; closed loop, every operation timed.`,
        `Load average when the suite started: ${load.map((l) => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores; the cluster's six redis-servers share those cores with the client. Absolute numbers move between runs; ratios within one table are the comparable part.`,
        'rediskit: `createCache({ topology: cluster({ nodes, commandTimeout: 30000 }) })`, otherwise defaults (JSON values in a 4-byte frame, decoded on every read; circuit breaker on; the long deadline costs the same as the default). `batching off`: one GET per `get` instead of the concurrent gets of a tick coalesced into one MGET per hash slot (keys here spread over ~1000 slots, so most MGETs carry one key; the coalescing still saves per-call work, and it waits one tick, which a lone sequential caller pays).',
        'ioredis rows read the raw strings. Its spread getMany is 100 concurrent `get()` calls (plain: one write per command; auto-pipelining: one pipeline per node per tick), or hand-grouped MGET per slot; its tagged getMany is one `mget()`.',
      ]
    }
    writeReport('cluster', 'Redis Cluster: rediskit cluster() vs raw ioredis Cluster', tables)
  } finally {
    await Promise.allSettled(list.map((c) => c.close()))
  }
}
