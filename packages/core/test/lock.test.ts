import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Cache } from '../src/cache.js'
import { createCache } from '../src/create-cache.js'
import { isRediskitError, type RediskitError } from '../src/errors.js'
import type { Lock } from '../src/lock.js'

// cache.lock() on a real redis-server: SET NX PX with a random token; release and extend are
// token-checked Lua scripts, so a holder whose lock expired cannot touch its successor's lock.

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }
let server: RedisDeployment
let raw: Redis
const caches: Cache[] = []

function cache(options: Parameters<typeof createCache>[0] = {}): Cache {
  const created = createCache({ location: server.url, prefix: 'locks', logger: quiet, ...options })
  caches.push(created)
  return created
}

async function failure(promise: Promise<unknown>): Promise<RediskitError> {
  try {
    await promise
  } catch (error) {
    if (isRediskitError(error)) return error
    throw error
  }
  throw new Error('expected a RediskitError, got success')
}

beforeAll(async () => {
  server = await startRedis()
  raw = new Redis(server.url, { lazyConnect: true })
})

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()))
  raw?.disconnect()
  await server?.stop()
})

describe('cache.lock', () => {
  it('takes the lock with a token and a TTL; a second taker gets E_LOCK; release frees it', async () => {
    const c = cache()
    const lock = await c.lock('report', { ttl: '30s' })
    expect(lock.key).toBe('locks:__lock__:report')
    expect(await raw.get(lock.key)).toBe(lock.token)
    const left = await raw.pttl(lock.key)
    expect(left).toBeGreaterThan(25_000)
    expect(left).toBeLessThanOrEqual(30_000)
    const busy = await failure(c.lock('report'))
    expect(busy.code).toBe('E_LOCK')
    expect(busy.message).toContain('"report" is held by someone else')
    expect(await lock.release()).toBe(true)
    expect(await raw.exists(lock.key)).toBe(0)
    expect(await lock.release()).toBe(false)
    const again = await c.lock('report')
    expect(again.token).not.toBe(lock.token)
    await again.release()
  })

  it('waits up to `wait` for a lock, retrying every retryDelay', async () => {
    const c = cache()
    const holder = await c.lock('queue')
    await raw.config('RESETSTAT')
    const waiter = c.lock('queue', { wait: '20s', retryDelay: 10 })
    // Released once the waiter has tried (SET NX) at least twice.
    const attempts = async (): Promise<number> =>
      Number(/cmdstat_set:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0)
    await vi.waitFor(async () => expect(await attempts()).toBeGreaterThanOrEqual(2), { interval: 10 })
    await holder.release()
    const taken = await waiter
    expect(await raw.get('locks:__lock__:queue')).toBe(taken.token)
    await taken.release()
  })

  it('fails with E_LOCK when the lock stays held for the whole wait', async () => {
    const c = cache()
    const holder = await c.lock('busy', { ttl: '1m' })
    const error = await failure(c.lock('busy', { wait: 150, retryDelay: 20 }))
    expect(error.code).toBe('E_LOCK')
    expect(error.message).toContain('waited 150 ms')
    expect(await raw.get('locks:__lock__:busy')).toBe(holder.token)
    await holder.release()
  })

  it('an expired lock taken by someone else can be neither released nor extended by its old owner', async () => {
    const c = cache()
    const old = await c.lock('job', { ttl: 50 })
    await vi.waitFor(async () => expect(await raw.exists('locks:__lock__:job')).toBe(0), { interval: 10 })
    const current = await c.lock('job', { ttl: '1m' })
    expect(await old.release()).toBe(false)
    expect(await raw.get('locks:__lock__:job')).toBe(current.token)
    const lost = await failure(old.extend(60_000))
    expect(lost.code).toBe('E_LOCK')
    expect(await raw.get('locks:__lock__:job')).toBe(current.token)
    // The current holder extends and releases its own.
    await current.extend(120_000)
    expect(await raw.pttl('locks:__lock__:job')).toBeGreaterThan(100_000)
    expect(current.expiresAt).toBeGreaterThan(Date.now() + 100_000)
    expect(await current.release()).toBe(true)
    expect((await failure(current.extend())).code).toBe('E_LOCK')
  })

  it('is released at the end of an `await using` scope', async () => {
    const c = cache()
    {
      await using lock = await c.lock('scoped')
      expect(await raw.exists(lock.key)).toBe(1)
    }
    expect(await raw.exists('locks:__lock__:scoped')).toBe(0)
  })

  it('lives outside the keys clear() and keys() touch, and ignores the cache version', async () => {
    const c = cache({ prefix: 'lk' })
    const v2 = cache({ prefix: 'lk', version: 2 })
    await c.set('k', 1)
    const lock = await c.lock('k')
    expect(await c.keys('*')).toEqual(['k'])
    await c.clear()
    expect(await raw.get('lk:__lock__:k')).toBe(lock.token)
    expect((await failure(v2.lock('k'))).code).toBe('E_LOCK')
    await lock.release()
  })

  it('validates its options', async () => {
    const c = cache()
    expect((await failure(c.lock(''))).code).toBe('E_CONFIG')
    expect((await failure(c.lock('x', { ttl: 0 }))).code).toBe('E_CONFIG')
    expect((await failure(c.lock('x', { retryDelay: 'soon' }))).code).toBe('E_CONFIG')
    const lock = await c.lock('x')
    expect((await failure(lock.extend(-1))).code).toBe('E_CONFIG')
    await lock.release()
  })

  it('store failures always reach the caller, even under handleErrors', async () => {
    const dead = await startRedis()
    const c = createCache({ location: dead.url, handleErrors: true, logger: quiet, circuitBreaker: false })
    try {
      const lock = await c.lock('x')
      await dead.kill(dead.primary)
      const errors: RediskitError[] = []
      c.on('error', (error) => errors.push(error))
      expect((await failure(c.lock('y'))).code).toBe('E_CONNECTION')
      expect((await failure(lock.release())).code).toBe('E_CONNECTION')
      expect(errors.map((error) => error.details?.op)).toEqual(['lock', 'lock.release'])
    } finally {
      await c.close()
      await dead.stop()
    }
  })

  it('works on the in-memory store within one process', async () => {
    const c = createCache({ logger: quiet })
    const lock: Lock = await c.lock('m', { ttl: '1m' })
    expect((await failure(c.lock('m'))).code).toBe('E_LOCK')
    await lock.extend()
    expect(await lock.release()).toBe(true)
    expect(await (await c.lock('m')).release()).toBe(true)
  })
})
