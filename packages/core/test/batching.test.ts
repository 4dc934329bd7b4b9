import { randomUUID } from 'node:crypto'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cache } from '../src/cache.js'
import { createCache } from '../src/create-cache.js'
import { isRediskitError, type RediskitError } from '../src/errors.js'
import { ioredisDriver } from '../src/ioredis-driver.js'
import { MemoryStore } from '../src/memory-store.js'
import { RedisStore } from '../src/redis-store.js'
import { CommandStats } from './support/command-stats.js'
import { SplitTopology } from './support/split-topology.js'

// Auto-batching on a real redis-server: concurrent `get`s of one tick become one MGET per node,
// with the same results, errors and ordering as one GET per call.

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }
let server: RedisDeployment
let stats: CommandStats
let raw: Redis
const caches: Cache[] = []

function cache(options: Parameters<typeof createCache>[0] = {}): Cache {
  const created = createCache({
    location: server.url,
    prefix: `b-${randomUUID().slice(0, 8)}`,
    logger: quiet,
    ...options,
  })
  caches.push(created)
  return created
}

beforeAll(async () => {
  server = await startRedis()
  stats = new CommandStats(server.url)
  raw = new Redis(server.url, { lazyConnect: true })
})

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()))
  stats?.close()
  raw?.disconnect()
  await server?.stop()
})

/** A deterministic pseudo-random sequence (the same operations for both runs). */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

type Op = (c: Cache) => Promise<unknown>

/** 10 000 mixed operations over 150 keys (half of them reads), all issued in the same tick. */
function mixedOperations(): Op[] {
  const random = prng(42)
  const key = (): string => `k${Math.floor(random() * 150)}`
  const ops: Op[] = []
  for (let i = 0; i < 10_000; i++) {
    const roll = random()
    // Every random choice is made here, never inside the operation: both runs do the same things.
    const [k, k2, k3] = [key(), key(), key()]
    const counter = `counter${Math.floor(random() * 10)}`
    const n = i
    if (roll < 0.5) ops.push((c) => c.get(k))
    else if (roll < 0.62) ops.push((c) => c.set(k, { n, text: `v${n}` }))
    else if (roll < 0.68) ops.push((c) => c.set(k, n, 60_000))
    else if (roll < 0.73) ops.push((c) => c.delete(k))
    else if (roll < 0.78) ops.push((c) => c.add(k, `added ${n}`))
    else if (roll < 0.84) ops.push((c) => c.incr(counter, 1 + (n % 3)))
    else if (roll < 0.88) ops.push((c) => c.has(k))
    else if (roll < 0.93) ops.push((c) => c.getMany([k, k2, k3]))
    else if (roll < 0.96)
      ops.push((c) =>
        c.setMany([
          [k, `many ${n}`],
          [k2, n],
        ]),
      )
    else ops.push((c) => c.set(k, `nx ${n}`, { nx: true }))
  }
  return ops
}

describe('auto-batching', () => {
  it('10k concurrent mixed operations return exactly what they return unbatched', async () => {
    const ops = mixedOperations()
    const outcomes: unknown[][] = []
    const finals: unknown[][] = []
    for (const batching of [false, true]) {
      const prefix = `mixed-${batching}`
      // A correctness test, not a deadline test: a generous deadline for a loaded machine.
      const c = cache({ prefix, batching, commandTimeout: 60_000 })
      // Same starting state: half the keys set, a few counters.
      await c.setMany(Array.from({ length: 75 }, (_, i) => [`k${i * 2}`, `seed ${i}`] as [string, string]))
      await stats.reset()
      const results = await Promise.all(
        ops.map((op) =>
          op(c).then(
            (value) => value,
            (error: unknown) => `error ${isRediskitError(error) ? error.code : String(error)}`,
          ),
        ),
      )
      expect(results.filter((r) => typeof r === 'string' && r.startsWith('error '))).toEqual([])
      const calls = await stats.calls()
      if (batching) {
        expect(calls.mget ?? 0).toBeGreaterThan(0)
        expect(calls.get ?? 0).toBeLessThan(ops.length / 2)
      } else {
        expect(calls.get ?? 0).toBeGreaterThan(4000)
      }
      outcomes.push(results)
      const keys = [
        ...Array.from({ length: 150 }, (_, i) => `k${i}`),
        ...Array.from({ length: 10 }, (_, i) => `counter${i}`),
      ]
      finals.push(await c.getMany(keys))
    }
    expect(outcomes[1]).toHaveLength(10_000)
    expect(outcomes[1]).toEqual(outcomes[0])
    expect(finals[1]).toEqual(finals[0])
  })

  it('coalesces 300 concurrent gets into one MGET and answers each call', async () => {
    const c = cache()
    await c.setMany(Array.from({ length: 300 }, (_, i) => [`k${i}`, i] as [string, number]))
    await stats.reset()
    const values = await Promise.all(Array.from({ length: 300 }, (_, i) => c.get(`k${299 - i}`)))
    expect(values).toEqual(Array.from({ length: 300 }, (_, i) => 299 - i))
    const calls = await stats.calls()
    expect(calls.mget).toBe(1)
    expect(calls.get ?? 0).toBe(0)
  })

  it('splits a tick of 2500 gets, and a getMany of 2500 keys, into MGETs of 1000 keys', async () => {
    const c = cache()
    const keys = Array.from({ length: 2500 }, (_, i) => `big${i}`)
    await c.setMany(keys.map((k, i) => [k, i] as [string, number]))
    await stats.reset()
    expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys.map((_, i) => i))
    expect((await stats.calls()).mget).toBe(3)
    await stats.reset()
    expect(await c.getMany(keys)).toEqual(keys.map((_, i) => i))
    expect((await stats.calls()).mget).toBe(3)
  })

  it('batching: false sends one GET per call', async () => {
    const c = cache({ batching: false })
    await c.set('k', 1)
    await stats.reset()
    expect(await Promise.all(Array.from({ length: 20 }, () => c.get('k')))).toEqual(Array(20).fill(1))
    const calls = await stats.calls()
    expect(calls.get).toBe(20)
    expect(calls.mget ?? 0).toBe(0)
  })

  it('keeps the order of one tick: a write never overtakes a queued read of its key', async () => {
    const c = cache()
    await c.set('k', 'old')
    // get then delete (a "pop"), set then get, get/set/get of one key in one tick.
    const [popped, deleted] = await Promise.all([c.get('k'), c.delete('k')])
    expect([popped, deleted]).toEqual(['old', true])
    const [, seen] = await Promise.all([c.set('k', 'new'), c.get('k')])
    expect(seen).toBe('new')
    const sequence = await Promise.all([
      c.get('k'),
      c.set('k', 'newer'),
      c.get('k'),
      c.incr('n'),
      c.get('n'),
      c.deleteMany(['k']),
      c.get('k'),
    ])
    expect(sequence).toEqual(['new', true, 'newer', 1, 1, 1, undefined])
    // A long queue (above the linear-scan limit) still orders a write after the read of its key.
    const reads = Array.from({ length: 40 }, (_, i) => c.get(`q${i}`))
    const write = c.set('q30', 'written')
    const after = c.get('q30')
    expect((await Promise.all(reads))[30]).toBeUndefined()
    await write
    expect(await after).toBe('written')
  })

  it('one undecodable value misses (with an error event) without failing the other calls', async () => {
    const c = cache()
    await c.setMany([
      ['good1', 1],
      ['good2', 'two'],
    ])
    await raw.set(`${c.prefix}:1:bad`, Buffer.from([0xc1, 0x07, 0x00, 0x00, 0x01]))
    const errors: RediskitError[] = []
    c.on('error', (error) => errors.push(error))
    await stats.reset()
    expect(await Promise.all([c.get('good1'), c.get('bad'), c.get('good2'), c.get('missing')])).toEqual([
      1,
      undefined,
      'two',
      undefined,
    ])
    expect((await stats.calls()).mget).toBe(1)
    expect(errors.map((error) => [error.code, error.details?.key])).toEqual([['E_DECODE', 'bad']])
  })

  it('a failed node fails only the calls whose keys live there', async () => {
    const other = await startRedis()
    const topology = new SplitTopology(
      ioredisDriver(server.url, { commandTimeout: 500 }),
      ioredisDriver(other.url, { commandTimeout: 500 }),
    )
    const store = new RedisStore(topology, { circuitBreaker: false })
    const c = createCache({ store, prefix: 'split', logger: quiet })
    try {
      await c.setMany([
        ['a1', 'a-one'],
        ['a2', 'a-two'],
        ['b1', 'b-one'],
      ])
      await other.kill(other.primary)
      const settled = await Promise.allSettled([c.get('a1'), c.get('b1'), c.get('a2'), c.get('b2')])
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
      expect(settled[0]).toMatchObject({ value: 'a-one' })
      expect(settled[2]).toMatchObject({ value: 'a-two' })
      for (const s of [settled[1], settled[3]]) {
        const reason = (s as PromiseRejectedResult).reason
        expect(isRediskitError(reason, 'E_CONNECTION'), String(reason)).toBe(true)
      }
      // Under handleErrors the same tick gives values and misses.
      const lenient = createCache({ store, prefix: 'split', logger: quiet, handleErrors: true })
      expect(await Promise.all([lenient.get('a1'), lenient.get('b1'), lenient.get('a2')])).toEqual([
        'a-one',
        undefined,
        'a-two',
      ])
      await lenient.close()
    } finally {
      await c.close()
      await store.close()
      await other.stop()
    }
  })

  it('batched reads on a frozen server fail with E_TIMEOUT within commandTimeout', async () => {
    await using frozen = await startRedis()
    const commandTimeout = 300
    // The breaker (tested on its own) would fail the first read after resume fast: off here.
    const c = createCache({ location: frozen.url, commandTimeout, logger: quiet, circuitBreaker: false })
    try {
      await c.set('k', 1)
      await frozen.pause(frozen.primary)
      const started = performance.now()
      const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => c.get(`k${i}`)))
      const elapsed = performance.now() - started
      for (const s of settled) {
        expect(s.status).toBe('rejected')
        expect(isRediskitError((s as PromiseRejectedResult).reason, 'E_TIMEOUT')).toBe(true)
      }
      // The deadline (generous margin for a loaded machine): never a hang.
      expect(elapsed).toBeLessThan(commandTimeout + 400)
      await frozen.resume(frozen.primary)
      expect(await c.get('k')).toBe(1)
    } finally {
      await c.close()
    }
  })
})

describe('the get fast path (Store.getWith)', () => {
  class SyncFailingStore extends MemoryStore {
    override get(_key: string): Promise<Buffer | undefined> {
      throw new Error('connect ECONNREFUSED (thrown synchronously)')
    }
  }
  class CallbackStore extends MemoryStore {
    mode: 'fail-now' | 'hang' | 'answer' = 'answer'
    getWith(
      key: string,
      onValue: (value: Buffer | undefined) => void,
      onError: (error: unknown) => void,
    ): void {
      if (this.mode === 'fail-now') onError(new Error('connect ECONNREFUSED 127.0.0.1:1'))
      else if (this.mode === 'answer') this.get(key).then(onValue, onError)
    }
  }

  it('a store that throws synchronously still fails through a rejected promise and the error policy', async () => {
    const strict = createCache({ store: new SyncFailingStore(), logger: quiet })
    const result = strict.get('k')
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toMatchObject({ code: 'E_CONNECTION' })
    const lenient = createCache({ store: new SyncFailingStore(), logger: quiet, handleErrors: true })
    expect(await lenient.get('k')).toBeUndefined()
  })

  it('uses getWith when the store has it: values, immediate failures, and the deadline', async () => {
    const store = new CallbackStore()
    const c = createCache({ store, logger: quiet, commandTimeout: 100 })
    await c.set('k', { v: 1 })
    expect(await c.get('k')).toEqual({ v: 1 })
    store.mode = 'fail-now'
    await expect(c.get('k')).rejects.toMatchObject({ code: 'E_CONNECTION' })
    store.mode = 'hang'
    const errors: RediskitError[] = []
    const lenient = createCache({ store, logger: quiet, commandTimeout: 100, handleErrors: true })
    lenient.on('error', (error) => errors.push(error))
    await expect(c.get('k')).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(await lenient.get('k')).toBeUndefined()
    expect(errors.map((e) => e.code)).toEqual(['E_TIMEOUT'])
  })
})
