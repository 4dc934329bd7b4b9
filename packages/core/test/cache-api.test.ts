import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../src/create-cache.js'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }

function setup(options: Parameters<typeof createCache>[0] = {}) {
  const store = new MemoryStore()
  const cache = createCache({ store, prefix: 'app', logger: quiet, ...options })
  return { store, cache }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('get / set / add', () => {
  it('round-trips JSON values and misses with undefined', async () => {
    const { cache } = setup()
    const values: unknown[] = ['text', 42, -1, 1.5, true, false, null, { a: [1, { b: 'c' }] }, [], '']
    for (const [i, value] of values.entries()) {
      expect(await cache.set(`k${i}`, value)).toBe(true)
      expect(await cache.get(`k${i}`)).toEqual(value)
    }
    expect(await cache.get('missing')).toBeUndefined()
  })

  it('stores under prefix:version:key, integers as decimal text', async () => {
    const { cache, store } = setup({ version: 2 })
    await cache.set('n', 42)
    await cache.set('s', 'hi')
    expect((await store.get('app:2:n'))?.toString()).toBe('42')
    expect((await store.get('app:2:s'))?.toString('hex')).toBe('c101000022686922')
    expect(cache.makeKey('n')).toBe('app:2:n')
    expect(cache.makeKey('n', { version: 5 })).toBe('app:5:n')
  })

  it('set takes { nx, xx, keepTtl }', async () => {
    const { cache } = setup()
    expect(await cache.set('k', 1, { xx: true })).toBe(false)
    expect(await cache.set('k', 1, { nx: true, ttl: 60_000 })).toBe(true)
    expect(await cache.set('k', 2, { nx: true })).toBe(false)
    expect(await cache.set('k', 3, { xx: true, keepTtl: true })).toBe(true)
    expect(await cache.get('k')).toBe(3)
    expect(await cache.ttl('k')).toBeGreaterThan(50_000)
  })

  it('rejects contradictory set options (E_CONFIG)', async () => {
    const { cache } = setup()
    expect(isRediskitError(await rejection(cache.set('k', 1, { nx: true, xx: true })), 'E_CONFIG')).toBe(true)
    expect(isRediskitError(await rejection(cache.set('k', 1, { keepTtl: true, ttl: 5 })), 'E_CONFIG')).toBe(
      true,
    )
    expect(isRediskitError(await rejection(cache.set('k', 1, 'soon')), 'E_CONFIG')).toBe(true)
  })

  it('add writes only when the key is absent', async () => {
    const { cache } = setup()
    expect(await cache.add('k', 'first')).toBe(true)
    expect(await cache.add('k', 'second')).toBe(false)
    expect(await cache.get('k')).toBe('first')
    expect(await cache.add('t', 'x', { ttl: '1m' })).toBe(true)
    expect(await cache.ttl('t')).toBeGreaterThan(50_000)
  })

  it('refuses values JSON cannot store (E_ENCODE), even with handleErrors', async () => {
    const { cache } = setup({ handleErrors: true })
    for (const value of [undefined, () => 1, Symbol('x'), 10n]) {
      expect(isRediskitError(await rejection(cache.set('k', value)), 'E_ENCODE')).toBe(true)
    }
    expect(await cache.has('k')).toBe(false)
  })

  it('rejects keys that are not strings (E_CONFIG)', async () => {
    const { cache } = setup()
    expect(isRediskitError(await rejection(cache.get(1 as unknown as string)), 'E_CONFIG')).toBe(true)
    expect(isRediskitError(await rejection(cache.get('k', { version: 1.5 })), 'E_CONFIG')).toBe(true)
  })
})

describe('TTL semantics', () => {
  it('undefined uses the default TTL, null never expires', async () => {
    const { cache } = setup({ ttl: '10m' })
    await cache.set('default', 1)
    await cache.set('forever', 1, null)
    await cache.set('explicit', 1, 5000)
    const left = await cache.ttl('default')
    expect(left).toBeGreaterThan(590_000)
    expect(left).toBeLessThanOrEqual(600_000)
    expect(await cache.ttl('forever')).toBeNull()
    expect(await cache.ttl('explicit')).toBeLessThanOrEqual(5000)
    expect(await cache.ttl('missing')).toBeUndefined()
  })

  it('with no default TTL, values never expire', async () => {
    const { cache } = setup()
    await cache.set('k', 1)
    expect(await cache.ttl('k')).toBeNull()
  })

  it('0 or a negative TTL removes the key, stores nothing, and returns false', async () => {
    const { cache } = setup()
    await cache.set('k', 'old')
    expect(await cache.set('k', 'new', 0)).toBe(false)
    expect(await cache.has('k')).toBe(false)
    await cache.set('k', 'old')
    expect(await cache.set('k', 'new', -5)).toBe(false)
    expect(await cache.has('k')).toBe(false)
    await cache.set('k', 'old')
    expect(await cache.set('k', 'new', { ttl: '0s', xx: true })).toBe(false)
    expect(await cache.has('k')).toBe(false)
  })

  it('add with a TTL <= 0 leaves an existing value alone', async () => {
    const { cache } = setup()
    await cache.set('k', 'old')
    expect(await cache.add('k', 'new', 0)).toBe(false)
    expect(await cache.get('k')).toBe('old')
    expect(await cache.add('absent', 'new', -1)).toBe(false)
    expect(await cache.has('absent')).toBe(false)
  })

  it('a default TTL of 0 stores nothing (Django TIMEOUT=0)', async () => {
    const { cache } = setup({ ttl: 0 })
    expect(await cache.set('k', 1)).toBe(false)
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.set('k', 1, null)).toBe(true)
  })

  it('values expire after their TTL (real time)', async () => {
    const { cache } = setup()
    await cache.set('k', 'v', 30)
    expect(await cache.get('k')).toBe('v')
    await vi.waitFor(async () => expect(await cache.get('k')).toBeUndefined(), { timeout: 2000, interval: 5 })
    expect(await cache.has('k')).toBe(false)
  })
})

describe('getMany / setMany / delete / deleteMany / has', () => {
  it('getMany aligns with the keys', async () => {
    const { cache } = setup()
    await cache.set('a', 1)
    await cache.set('c', { x: 3 })
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([1, undefined, { x: 3 }])
    expect(await cache.getMany([])).toEqual([])
  })

  it('setMany takes an object, a Map or pairs, with one TTL', async () => {
    const { cache } = setup()
    expect(await cache.setMany({ a: 1, b: 'two' })).toBe(true)
    expect(await cache.setMany(new Map<string, unknown>([['c', [3]]]), '1m')).toBe(true)
    expect(
      await cache.setMany(
        [
          ['d', null],
          ['e', false],
        ],
        { ttl: null, version: 9 },
      ),
    ).toBe(true)
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([1, 'two', [3]])
    expect(await cache.getMany(['d', 'e'], { version: 9 })).toEqual([null, false])
    expect(await cache.ttl('c')).toBeGreaterThan(50_000)
    expect(await cache.ttl('a')).toBeNull()
    expect(await cache.setMany([])).toBe(true)
  })

  it('setMany with a TTL <= 0 removes the keys', async () => {
    const { cache } = setup()
    await cache.setMany({ a: 1, b: 2 })
    expect(await cache.setMany({ a: 3, b: 4 }, 0)).toBe(false)
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
  })

  it('delete and deleteMany report what existed; has never fetches', async () => {
    const { cache, store } = setup()
    await cache.setMany({ a: 1, b: 2, c: 3 })
    expect(await cache.delete('a')).toBe(true)
    expect(await cache.delete('a')).toBe(false)
    expect(await cache.deleteMany(['b', 'c', 'zz'])).toBe(2)
    expect(await cache.deleteMany([])).toBe(0)
    await cache.set('h', 'x')
    const get = vi.spyOn(store, 'get')
    expect(await cache.has('h')).toBe(true)
    expect(await cache.has('nope')).toBe(false)
    expect(get).not.toHaveBeenCalled()
  })
})

describe('expire / expireAt / persist / touch', () => {
  it('change the TTL of existing keys and report whether they exist', async () => {
    const { cache } = setup({ ttl: '1h' })
    await cache.set('k', 1, null)
    expect(await cache.expire('k', '30s')).toBe(true)
    expect(await cache.ttl('k')).toBeLessThanOrEqual(30_000)
    expect(await cache.persist('k')).toBe(true)
    expect(await cache.ttl('k')).toBeNull()
    expect(await cache.expireAt('k', new Date(Date.now() + 60_000))).toBe(true)
    expect(await cache.ttl('k')).toBeGreaterThan(30_000)
    expect(await cache.touch('k')).toBe(true) // default TTL: 1h
    expect(await cache.ttl('k')).toBeGreaterThan(3_500_000)
    expect(await cache.touch('k', 10_000)).toBe(true)
    expect(await cache.ttl('k')).toBeLessThanOrEqual(10_000)
    expect(await cache.expire('k', null)).toBe(true)
    expect(await cache.ttl('k')).toBeNull()
    for (const call of [
      cache.expire('none', 1000),
      cache.expireAt('none', Date.now() + 1000),
      cache.persist('none'),
      cache.touch('none'),
    ]) {
      expect(await call).toBe(false)
    }
  })

  it('a TTL <= 0 or a past date removes the key', async () => {
    const { cache } = setup()
    await cache.setMany({ a: 1, b: 2, c: 3 })
    expect(await cache.expire('a', 0)).toBe(true)
    expect(await cache.expireAt('b', Date.now() - 1000)).toBe(true)
    expect(await cache.touch('c', -1)).toBe(true)
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined])
  })

  it('touch without a default TTL removes the expiry', async () => {
    const { cache } = setup()
    await cache.set('k', 1, 10_000)
    expect(await cache.touch('k')).toBe(true)
    expect(await cache.ttl('k')).toBeNull()
  })

  it('rejects invalid dates (E_CONFIG)', async () => {
    const { cache } = setup()
    expect(isRediskitError(await rejection(cache.expireAt('k', new Date('nope'))), 'E_CONFIG')).toBe(true)
  })
})

describe('incr / decr', () => {
  it('counts atomically from 0 and returns the new value', async () => {
    const { cache } = setup()
    expect(await cache.incr('n')).toBe(1)
    expect(await cache.incr('n', 10)).toBe(11)
    expect(await cache.decr('n')).toBe(10)
    expect(await cache.decr('n', 20)).toBe(-10)
    expect(await cache.get('n')).toBe(-10)
    await Promise.all(Array.from({ length: 50 }, () => cache.incr('c')))
    expect(await cache.get('c')).toBe(50)
  })

  it('works on integers written by set, and keeps the TTL', async () => {
    const { cache } = setup()
    await cache.set('n', 41, '1h')
    expect(await cache.incr('n')).toBe(42)
    expect(await cache.ttl('n')).toBeGreaterThan(3_500_000)
  })

  it('fails on a value that is not an integer with E_REDIS', async () => {
    const { cache } = setup()
    await cache.set('f', 1.5)
    await cache.set('s', '12')
    for (const key of ['f', 's']) {
      const error = await rejection(cache.incr(key))
      expect(isRediskitError(error, 'E_REDIS')).toBe(true)
      expect(error.message).toMatch(/not an integer/)
    }
    expect(await cache.get('s')).toBe('12')
  })

  it('rejects a non-integer step (E_CONFIG)', async () => {
    const { cache } = setup()
    expect(isRediskitError(await rejection(cache.incr('n', 1.5)), 'E_CONFIG')).toBe(true)
  })
})

describe('undecodable values', () => {
  it('are a miss plus an error event, never a crash', async () => {
    const { cache, store } = setup()
    const errors: unknown[] = []
    cache.on('error', (error) => errors.push(error))
    await store.set('app:1:foreign', Buffer.from('{"written":"by someone else"}'))
    await store.set('app:1:ok', Buffer.from('7'))
    expect(await cache.get('foreign')).toBeUndefined()
    expect(await cache.getMany(['foreign', 'ok'])).toEqual([undefined, 7])
    expect(errors).toHaveLength(2)
    expect(isRediskitError(errors[0], 'E_DECODE')).toBe(true)
    expect((errors[0] as { details: Record<string, unknown> }).details).toMatchObject({
      op: 'decode',
      key: 'foreign',
    })
    expect(cache.stats()).toMatchObject({ errors: 2, misses: 2, hits: 1 })
  })
})

describe('client and store', () => {
  it('exposes the store and its client', () => {
    const { cache, store } = setup()
    expect(cache.store).toBe(store)
    expect(cache.client).toBeUndefined()
  })
})
