/**
 * Keyv on Redis: the same keyv 5 over @rediskit/keyv and over @keyv/redis, against one local
 * redis-server (started here with @rediskit/testing's harness), in one process and one run.
 *
 * - Both Keyv instances come from their package's `createKeyv(url)` with default options (the
 *   setup each README shows): Keyv serializes `{ value, expires }` to JSON and the adapter stores
 *   that string. @rediskit/keyv stores it byte for byte (keys `keyv:<key>`); @keyv/redis too (keys
 *   `<key>`, its createKeyv turns Keyv's prefix off).
 * - Every contender writes its own keys first and reads one back (a fast wrong answer is not a
 *   result). Value: a 100-byte string.
 * - Workloads: get (hit) and set (with a TTL), by 1 caller (each call awaited before the next:
 *   latency-bound) and by 100 concurrent callers (closed loop: throughput-bound).
 * - Each workload runs the contenders in turn for several interleaved rounds (a load spike from
 *   other processes hits one round of one contender, not a whole row); the table shows the median
 *   round, with p50/p99 latency of that round.
 */
import { availableParallelism, loadavg } from 'node:os'
import { createKeyv as createKeyvRedis } from '@keyv/redis'
import { createKeyv as createKeyvRediskit } from '@rediskit/keyv'
import { startRedis } from '@rediskit/testing'
import type { Keyv } from 'keyv'
import { type LoadResult, median, runLoad } from '../lib/load.js'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

/** A 100-byte string value. */
const VALUE =
  'user:42 logged in from 203.0.113.7 with Firefox 128 on Linux; session 9f8e7d6c5b4a. Welcome back!!!'
const KEYS = 1000
const TTL = 60_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1000)
const WARMUP_MS = 200
const BASELINE = 'keyv + @keyv/redis'
const OURS = 'keyv + @rediskit/keyv'

interface Contender {
  name: string
  keyv: Keyv
}

interface Workload {
  title: string
  concurrency: number
  op(keyv: Keyv): (caller: number, n: number) => Promise<unknown>
}

const key = (caller: number, n: number): string => `k${(caller * 7919 + n) % KEYS}`

const workloads: Workload[] = [
  { title: 'Keyv get (hit), 1 caller', concurrency: 1, op: (keyv) => (c, n) => keyv.get(key(c, n)) },
  {
    title: 'Keyv get (hit), 100 concurrent callers',
    concurrency: 100,
    op: (keyv) => (c, n) => keyv.get(key(c, n)),
  },
  {
    title: 'Keyv set (TTL 60 s), 1 caller',
    concurrency: 1,
    op: (keyv) => (c, n) => keyv.set(key(c, n), VALUE, TTL),
  },
  {
    title: 'Keyv set (TTL 60 s), 100 concurrent callers',
    concurrency: 100,
    op: (keyv) => (c, n) => keyv.set(key(c, n), VALUE, TTL),
  },
]

async function seed({ name, keyv }: Contender): Promise<void> {
  // (@keyv/redis's setMany resolves to nothing, so the read-back is the check.)
  await keyv.setMany(Array.from({ length: KEYS }, (_, i) => ({ key: `k${i}`, value: VALUE, ttl: TTL })))
  const back: unknown[] = await keyv.get(Array.from({ length: KEYS }, (_, i) => `k${i}`))
  if (!back.every((value) => value === VALUE))
    throw new Error(`${name}: get does not return what setMany stored`)
}

function ms(value: number): string {
  return value < 1 ? value.toFixed(3) : value.toFixed(2)
}

export async function run(): Promise<void> {
  const load = loadavg()
  await using redis = await startRedis()
  const list: Contender[] = [
    { name: BASELINE, keyv: createKeyvRedis(redis.url) as unknown as Keyv },
    { name: OURS, keyv: createKeyvRediskit(redis.url) },
  ]
  const errors: unknown[] = []
  for (const { keyv } of list) keyv.on('error', (error: unknown) => errors.push(error))
  try {
    for (const c of list) await seed(c)
    const tables: Table[] = []
    const ratios: string[] = []
    for (const workload of workloads) {
      const rounds = new Map<string, LoadResult[]>()
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of list) {
          const result = await runLoad(workload.op(c.keyv), {
            concurrency: workload.concurrency,
            timeMs: TIME_MS,
            warmupMs: WARMUP_MS,
          })
          rounds.set(c.name, [...(rounds.get(c.name) ?? []), result])
        }
        console.log(`  ${workload.title}: round ${round + 1}/${ROUNDS} done`)
      }
      const rows: Measurement[] = []
      const picked = new Map<string, LoadResult>()
      for (const c of list) {
        const all = rounds.get(c.name) ?? []
        const mid = median(all.map((r) => r.opsPerSec))
        const pick = all.find((r) => r.opsPerSec === mid) ?? (all[0] as LoadResult)
        picked.set(c.name, pick)
        rows.push({
          name: c.name,
          opsPerSec: pick.opsPerSec,
          extra: { 'p50 ms': ms(pick.p50), 'p99 ms': ms(pick.p99) },
        })
      }
      tables.push({ title: workload.title, baseline: BASELINE, rows })
      const ours = picked.get(OURS)
      const theirs = picked.get(BASELINE)
      if (ours && theirs)
        ratios.push(`- ${workload.title}: ${(ours.opsPerSec / theirs.opsPerSec).toFixed(2)}x`)
    }
    if (errors.length > 0)
      throw new Error(`${errors.length} Keyv 'error' events during the run: ${String(errors[0])}`)
    const last = tables[tables.length - 1]
    if (last) {
      last.notes = [
        `Same keyv 5, same redis-server (127.0.0.1, no persistence), one process; ${ROUNDS} interleaved rounds of ${TIME_MS} ms (after ${WARMUP_MS} ms warm-up) per contender and workload, median round shown; ${KEYS} keys, 100-byte string values.`,
        `Load average when the suite started: ${load.map((l) => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores: the machine is shared, so absolute numbers move between runs; the ratios within one table are the comparable part.`,
        "Both from their package's `createKeyv(url)`, default options. @rediskit/keyv: one ioredis connection, per-call deadline (1 s), concurrent gets of one tick coalesced into one MGET. @keyv/redis: one node-redis connection.",
        '',
        '**@rediskit/keyv vs @keyv/redis** (ops/s ratio)',
        ...ratios,
      ]
    }
    writeReport('keyv', 'Keyv on Redis: @rediskit/keyv vs @keyv/redis', tables)
  } finally {
    await Promise.allSettled(list.map((c) => c.keyv.disconnect()))
  }
}
