/**
 * getOrSet stampede on cold keys, in one process: 200 callers ask for the same missing key at
 * once; the factory (a 20 ms "database query") counts its runs. Reported per contender: how many
 * factory runs one cold key cost, and how long until all 200 callers had the value.
 *
 * Across processes rediskit also holds a lease (SET NX PX) so that 4 processes x 250 callers run
 * the factory once in total; that is proven by packages/core/test/get-or-set-processes.test.ts
 * rather than timed here.
 */
import { startRedis } from '@rediskit/testing'
import { delay, median } from '../lib/load.js'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'
import { type Contender, contenders, VALUE } from './cache.js'

const CALLERS = 200
const KEYS = Number(process.env.BENCH_STAMPEDE_KEYS ?? 30)
const FACTORY_MS = 20
const BASELINE = 'ioredis (auto-pipelining)'

interface Outcome {
  runsPerKey: number
  roundMs: number[]
}

async function stampede(c: Contender, tag: string): Promise<Outcome> {
  let runs = 0
  const factory = async (): Promise<string> => {
    runs++
    await delay(FACTORY_MS)
    return VALUE
  }
  const roundMs: number[] = []
  for (let k = 0; k < KEYS; k++) {
    const key = `cold:${tag}:${k}`
    const started = performance.now()
    const values = await Promise.all(Array.from({ length: CALLERS }, () => c.getOrSet!(key, factory)))
    roundMs.push(performance.now() - started)
    if (values.some((v) => v !== VALUE)) throw new Error(`${c.name} returned a wrong value in the stampede`)
  }
  return { runsPerKey: runs / KEYS, roundMs }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

export async function run(): Promise<void> {
  await using redis = await startRedis()
  const { list, skipped } = await contenders(redis.url, redis.primary.port)
  try {
    const rows: Measurement[] = []
    for (const c of list) {
      if (c.getOrSet === undefined) continue
      await c.getOrSet('warm-up', async () => VALUE)
      const outcome = await stampede(c, c.name.replace(/\W+/g, '-'))
      const total = outcome.roundMs.reduce((a, b) => a + b, 0)
      rows.push({
        name: c.name,
        opsPerSec: (KEYS * 1000) / total,
        extra: {
          'factory runs per cold key': outcome.runsPerKey.toFixed(1),
          'median ms until all 200 have it': median(outcome.roundMs).toFixed(1),
          'p99 ms': percentile(outcome.roundMs, 0.99).toFixed(1),
        },
      })
      console.log(`  stampede: ${c.name} done`)
    }
    const table: Table = {
      title: `getOrSet stampede: ${CALLERS} concurrent callers per cold key, ${KEYS} keys one after another (ops/s = cold keys served per second)`,
      baseline: BASELINE,
      rows,
      notes: [
        `The factory takes ${FACTORY_MS} ms. ioredis, node-redis and keyv have no getOrSet: GET, then run the factory and SET on a miss, as an application would (so every caller that missed runs the factory). cache-manager: \`wrap\`; bentocache: \`getOrSet\`; rediskit: \`getOrSet\` (in-process single-flight plus the cross-process lease).`,
        ...skipped.map((s) => `Not measured: ${s}.`),
      ],
    }
    writeReport('stampede', 'getOrSet stampede on cold keys', [table])
  } finally {
    await Promise.allSettled(list.map((c) => c.close()))
  }
}
