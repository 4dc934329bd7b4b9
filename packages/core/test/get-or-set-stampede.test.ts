import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createCache } from '../src/create-cache.js'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'

// Stampede control beyond one process's single-flight: grace (stale-while-revalidate and
// stale-if-error) and the lease that makes other caches (other processes: here, other Cache
// instances over one store) wait for the value instead of computing it again.

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }

function gate<T>(): { promise: Promise<T>; open: (value: T) => void; fail: (error: unknown) => void } {
  let open!: (value: T) => void
  let fail!: (error: unknown) => void
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve
    fail = reject
  })
  return { promise, open, fail }
}

const GRACE = { ttl: '1h', grace: '1h' } as const

/** Writes `value` with a TTL of 1 ms and an hour of grace, then waits until it is stale. */
async function staleValue(cache: ReturnType<typeof createCache>, key: string, value: unknown): Promise<void> {
  await cache.getOrSet(key, () => value, { ttl: 1, grace: '1h' })
  await vi.waitFor(async () => expect(await cache.get(key)).toBeUndefined(), { interval: 5 })
}

describe('getOrSet grace', () => {
  it('returns a stale value at once and refreshes it once in the background', async () => {
    const cache = createCache({ logger: quiet })
    await staleValue(cache, 'k', 'v1')
    expect(await cache.has('k')).toBe(true)
    const refresh = gate<string>()
    const factory = vi.fn(() => refresh.promise)
    // Both calls return before the refresh finishes (its gate is still closed).
    expect(await cache.getOrSet('k', factory, GRACE)).toBe('v1')
    expect(await cache.getOrSet('k', factory, GRACE)).toBe('v1')
    expect(factory).toHaveBeenCalledTimes(1)
    refresh.open('v2')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('v2'), { interval: 5 })
    expect(await cache.getOrSet('k', factory, GRACE)).toBe('v2')
    expect(factory).toHaveBeenCalledTimes(1)
    expect(await cache.ttl('k')).toBeGreaterThan(2 * 3_500_000)
    expect(cache.stats().hits).toBeGreaterThanOrEqual(3)
  })

  it('serves the stale value when the refresh fails (stale-if-error), and tries again later', async () => {
    const warnings: unknown[][] = []
    const cache = createCache({ logger: { ...quiet, warn: (...args: unknown[]) => warnings.push(args) } })
    await staleValue(cache, 'k', { v: 1 })
    const failing = vi.fn(async () => {
      throw new Error('db down')
    })
    expect(await cache.getOrSet('k', failing, GRACE)).toEqual({ v: 1 })
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { interval: 5 })
    expect(String(warnings[0]?.[0])).toContain('refreshing "k" in the background failed')
    expect(String(warnings[0]?.[1])).toContain('db down')
    // Still served, never replaced by the error; the next call refreshes again.
    expect(await cache.getOrSet('k', failing, GRACE)).toEqual({ v: 1 })
    await vi.waitFor(() => expect(failing).toHaveBeenCalledTimes(2), { interval: 5 })
    // Once the failed refresh has finished (and released its lease), a call refreshes it for good.
    await vi.waitFor(
      async () => {
        await cache.getOrSet('k', async () => ({ v: 2 }), GRACE)
        expect(await cache.get('k')).toEqual({ v: 2 })
      },
      { interval: 5 },
    )
    expect(failing).toHaveBeenCalledTimes(2)
  })

  it('a stale value is a miss for get() and for getOrSet without grace', async () => {
    const cache = createCache({ logger: quiet })
    await staleValue(cache, 'k', 'old')
    expect(await cache.getMany(['k'])).toEqual([undefined])
    expect(await cache.getOrSet('k', () => 'fresh', { ttl: '1h' })).toBe('fresh')
    expect(await cache.get('k')).toBe('fresh')
  })

  it('grace without a TTL stores a plain value', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, logger: quiet })
    expect(await cache.getOrSet('k', () => 'forever', { grace: '1h' })).toBe('forever')
    expect(await cache.ttl('k')).toBeNull()
    expect((await store.get(':1:k'))?.[2]).toBe(0)
  })
})

describe('getOrSet lease (caches sharing one store)', () => {
  it('a second cache waits for the first one’s value instead of computing it', async () => {
    const store = new MemoryStore()
    const a = createCache({ store, logger: quiet })
    const b = createCache({ store, logger: quiet })
    const slow = gate<string>()
    const first = a.getOrSet('k', () => slow.promise)
    await vi.waitFor(async () => expect(await store.has(':__lease__:1:k')).toBe(true), { interval: 5 })
    const second = vi.fn(() => 'second')
    const waiting = b.getOrSet('k', second)
    slow.open('first')
    expect(await first).toBe('first')
    expect(await waiting).toBe('first')
    expect(second).not.toHaveBeenCalled()
    await vi.waitFor(async () => expect(await store.has(':__lease__:1:k')).toBe(false), { interval: 5 })
  })

  it('a factory error releases the lease at once: a waiter takes over without waiting for lockTtl', async () => {
    const store = new MemoryStore()
    const a = createCache({ store, logger: quiet })
    const b = createCache({ store, logger: quiet })
    const failing = gate<string>()
    const first = a.getOrSet('k', () => failing.promise, { lockTtl: '1h', waitTimeout: '1h' })
    await vi.waitFor(async () => expect(await store.has(':__lease__:1:k')).toBe(true), { interval: 5 })
    const waiting = b.getOrSet('k', () => 'b computed', { lockTtl: '1h', waitTimeout: '1h' })
    failing.fail(new Error('boom'))
    await expect(first).rejects.toThrow('boom')
    expect(await waiting).toBe('b computed')
    expect(await a.get('k')).toBe('b computed')
  })

  it('a waiter computes the value itself after waitTimeout when the holder never finishes', async () => {
    const store = new MemoryStore()
    const a = createCache({ store, logger: quiet })
    const b = createCache({ store, logger: quiet })
    const stuck = gate<string>()
    const first = a.getOrSet('k', () => stuck.promise, { lockTtl: '1h' })
    await vi.waitFor(async () => expect(await store.has(':__lease__:1:k')).toBe(true), { interval: 5 })
    expect(await b.getOrSet('k', () => 'not waiting longer', { waitTimeout: 100 })).toBe('not waiting longer')
    stuck.open('late')
    expect(await first).toBe('late')
  })

  it('lockTtl: null computes without a lease (in-process single-flight only)', async () => {
    const store = new MemoryStore()
    const a = createCache({ store, logger: quiet })
    const b = createCache({ store, logger: quiet })
    const both = gate<string>()
    const factory = vi.fn(() => both.promise)
    const calls = [a.getOrSet('k', factory, { lockTtl: null }), b.getOrSet('k', factory, { lockTtl: null })]
    await vi.waitFor(() => expect(factory).toHaveBeenCalledTimes(2), { interval: 5 })
    both.open('v')
    expect(await Promise.all(calls)).toEqual(['v', 'v'])
    expect(await store.has(':__lease__:1:k')).toBe(false)
  })

  it('under handleErrors a failing store still gets the value computed', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, logger: quiet, handleErrors: true })
    await store.close()
    expect(await cache.getOrSet('k', () => 'computed anyway')).toBe('computed anyway')
  })
})

describe('getOrSet on redis-server', () => {
  let server: RedisDeployment
  let raw: Redis
  beforeAll(async () => {
    server = await startRedis()
    raw = new Redis(server.url, { lazyConnect: true })
  })
  afterAll(async () => {
    raw?.disconnect()
    await server?.stop()
  })

  it('holds the lease beside the value while computing, under the prefix, and releases it', async () => {
    await using cache = createCache({ location: server.url, prefix: 'app', logger: quiet })
    const slow = gate<string>()
    const pending = cache.getOrSet('user:{7}', () => slow.promise, { lockTtl: 30_000 })
    await vi.waitFor(async () => expect(await raw.exists('app:__lease__:1:user:{7}')).toBe(1), {
      interval: 5,
    })
    const left = await raw.pttl('app:__lease__:1:user:{7}')
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(30_000)
    slow.open('v')
    expect(await pending).toBe('v')
    await vi.waitFor(async () => expect(await raw.exists('app:__lease__:1:user:{7}')).toBe(0), {
      interval: 5,
    })
    expect(await cache.keys('*')).toEqual(['user:{7}'])
  })

  it('keeps a grace value grace ms past its TTL in Redis, with the soft expiry in the frame', async () => {
    await using cache = createCache({ location: server.url, prefix: 'g', logger: quiet })
    await cache.getOrSet('k', () => 'hi', { ttl: '1m', grace: '9m' })
    const left = await raw.pttl('g:1:k')
    expect(left).toBeGreaterThan(590_000)
    expect(left).toBeLessThanOrEqual(600_000)
    const frame = (await raw.getBuffer('g:1:k')) as Buffer
    expect(frame.subarray(0, 4).toString('hex')).toBe('c1010100')
    const soft = frame.readUInt32BE(4) * 2 ** 32 + frame.readUInt32BE(8)
    expect(soft - Date.now()).toBeGreaterThan(50_000)
    expect(soft - Date.now()).toBeLessThanOrEqual(60_000)
  })

  it('a store error fails the call, or under handleErrors computes the value', async () => {
    await using strict = createCache({ location: server.url, prefix: 'wrongtype', logger: quiet })
    await using lenient = createCache({
      location: server.url,
      prefix: 'wrongtype',
      logger: quiet,
      handleErrors: true,
    })
    await raw.lpush('wrongtype:1:k', 'not a string')
    let caught: unknown
    try {
      await strict.getOrSet('k', () => 'v')
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_REDIS')).toBe(true)
    expect(await lenient.getOrSet('k', () => 'computed')).toBe('computed')
  })
})
