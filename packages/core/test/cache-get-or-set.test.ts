import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../src/create-cache.js'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'

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

describe('getOrSet', () => {
  it('returns a cached value without calling the factory', async () => {
    const cache = createCache({ logger: quiet })
    await cache.set('k', 'cached')
    const factory = vi.fn(() => 'computed')
    expect(await cache.getOrSet('k', factory)).toBe('cached')
    expect(factory).not.toHaveBeenCalled()
  })

  it('computes, stores with the TTL, and returns on a miss', async () => {
    const cache = createCache({ logger: quiet })
    expect(await cache.getOrSet('k', async () => ({ n: 1 }), { ttl: '1h' })).toEqual({ n: 1 })
    expect(await cache.get('k')).toEqual({ n: 1 })
    expect(await cache.ttl('k')).toBeGreaterThan(3_500_000)
    expect(await cache.getOrSet('v', () => 5, { version: 4 })).toBe(5)
    expect(await cache.get('v', { version: 4 })).toBe(5)
  })

  it('runs the factory once for 100 concurrent calls on a cold key', async () => {
    const cache = createCache({ logger: quiet })
    const release = gate<string>()
    const factory = vi.fn(() => release.promise)
    const calls = Array.from({ length: 100 }, () => cache.getOrSet('cold', factory))
    release.open('value')
    expect(await Promise.all(calls)).toEqual(Array(100).fill('value'))
    expect(factory).toHaveBeenCalledTimes(1)
    expect(await cache.get('cold')).toBe('value')
  })

  it('keeps separate flights for separate keys and versions', async () => {
    const cache = createCache({ logger: quiet })
    const factory = vi.fn(async () => 'x')
    await Promise.all([
      cache.getOrSet('a', factory),
      cache.getOrSet('b', factory),
      cache.getOrSet('a', factory, { version: 2 }),
    ])
    expect(factory).toHaveBeenCalledTimes(3)
  })

  it('hands a factory error to every waiter, never caches it, and retries later', async () => {
    const cache = createCache({ logger: quiet })
    const release = gate<string>()
    const failing = vi.fn(() => release.promise)
    const waiters = Array.from({ length: 10 }, () => cache.getOrSet('k', failing))
    release.fail(new Error('db down'))
    for (const result of await Promise.allSettled(waiters)) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason.message).toBe('db down')
    }
    expect(failing).toHaveBeenCalledTimes(1)
    expect(await cache.has('k')).toBe(false)
    expect(await cache.getOrSet('k', () => 'recovered')).toBe('recovered')
    expect(await cache.get('k')).toBe('recovered')
  })

  it('also shares synchronous factory throws', async () => {
    const cache = createCache({ logger: quiet })
    const results = await Promise.allSettled([
      cache.getOrSet('k', () => {
        throw new Error('sync')
      }),
      cache.getOrSet('k', () => 'never'),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })

  it('returns but does not store undefined, and stores nothing with a TTL <= 0', async () => {
    const cache = createCache({ logger: quiet })
    expect(await cache.getOrSet('u', () => undefined)).toBeUndefined()
    expect(await cache.has('u')).toBe(false)
    expect(await cache.getOrSet('z', () => 1, { ttl: 0 })).toBe(1)
    expect(await cache.has('z')).toBe(false)
  })

  it('treats an undecodable stored value as a miss and overwrites it', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, logger: quiet })
    await store.set(':1:k', Buffer.from('garbage'))
    expect(await cache.getOrSet('k', () => 'fresh')).toBe('fresh')
    expect(await cache.get('k')).toBe('fresh')
    expect(cache.stats().errors).toBe(1)
  })

  it('validates grace, lockTtl and waitTimeout', async () => {
    const cache = createCache({ logger: quiet })
    expect(
      await cache.getOrSet('k', () => 1, { ttl: '1m', grace: '10m', lockTtl: '5s', waitTimeout: 2000 }),
    ).toBe(1)
    for (const [option, value] of [
      ['grace', 'forever'],
      ['lockTtl', 'soon'],
      ['waitTimeout', null],
    ] as const) {
      let caught: unknown
      try {
        await cache.getOrSet('j', () => 1, { [option]: value })
      } catch (error) {
        caught = error
      }
      expect(isRediskitError(caught, 'E_CONFIG'), option).toBe(true)
      expect((caught as Error).message).toContain(option)
    }
  })

  it('rejects a factory that is not a function (E_CONFIG)', async () => {
    const cache = createCache({ logger: quiet })
    await expect(cache.getOrSet('k', 5 as unknown as () => number)).rejects.toThrow(/factory/)
  })

  it('fails E_ENCODE for a factory value the serializer cannot store, without caching it', async () => {
    const cache = createCache({ logger: quiet })
    let caught: unknown
    try {
      await cache.getOrSet('k', () => 10n)
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_ENCODE')).toBe(true)
    expect(await cache.has('k')).toBe(false)
  })
})
