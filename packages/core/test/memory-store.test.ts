import { describe, expect, it, vi } from 'vitest'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'

const b = (text: string): Buffer => Buffer.from(text)

async function collect(iterable: AsyncIterable<string[]>): Promise<string[][]> {
  const batches: string[][] = []
  for await (const batch of iterable) batches.push(batch)
  return batches
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('MemoryStore basics', () => {
  it('gets, sets, deletes', async () => {
    const store = new MemoryStore()
    expect(await store.get('a')).toBeUndefined()
    expect(await store.set('a', b('1'))).toBe(true)
    expect((await store.get('a'))?.toString()).toBe('1')
    expect(await store.has('a')).toBe(true)
    expect(await store.delete('a')).toBe(true)
    expect(await store.delete('a')).toBe(false)
    expect(await store.has('a')).toBe(false)
  })

  it('getMany aligns with keys, deleteMany counts what existed', async () => {
    const store = new MemoryStore()
    await store.setMany([
      ['a', b('A')],
      ['b', b('B')],
    ])
    const values = await store.getMany(['a', 'x', 'b'])
    expect(values.map((v) => v?.toString())).toEqual(['A', undefined, 'B'])
    expect(await store.deleteMany(['a', 'x', 'b'])).toBe(2)
  })

  it('honours nx, xx and keepTtl', async () => {
    const store = new MemoryStore()
    expect(await store.set('k', b('1'), { xx: true })).toBe(false)
    expect(await store.has('k')).toBe(false)
    expect(await store.set('k', b('1'), { nx: true, ttl: 60_000 })).toBe(true)
    expect(await store.set('k', b('2'), { nx: true })).toBe(false)
    expect((await store.get('k'))?.toString()).toBe('1')
    expect(await store.set('k', b('3'), { xx: true, keepTtl: true })).toBe(true)
    const ttl = await store.ttl('k')
    expect(ttl).toBeGreaterThan(50_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    await store.set('k', b('4'))
    expect(await store.ttl('k')).toBeNull()
  })

  it('copies Buffers in and out, so callers cannot corrupt what is stored', async () => {
    const store = new MemoryStore()
    const value = b('abc')
    await store.set('k', value)
    value[0] = 0x7a
    const read = await store.get('k')
    expect(read?.toString()).toBe('abc')
    if (read) read[1] = 0x7a
    expect((await store.get('k'))?.toString()).toBe('abc')
    const [many] = await store.getMany(['k'])
    if (many) many[2] = 0x7a
    expect((await store.get('k'))?.toString()).toBe('abc')
  })

  it('flush empties it; close makes every later call fail with E_CLOSED', async () => {
    const store = new MemoryStore()
    await store.set('a', b('1'))
    await store.flush()
    expect(await store.has('a')).toBe(false)
    await store.close()
    await store.close()
    const error = await rejection(store.get('a'))
    expect(isRediskitError(error, 'E_CLOSED')).toBe(true)
    expect(isRediskitError(await rejection(store.set('a', b('1'))), 'E_CLOSED')).toBe(true)
  })

  it('validates its bounds (E_CONFIG)', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/memory\.maxEntries/)
    expect(() => new MemoryStore({ maxBytes: -1 })).toThrow(/memory\.maxBytes/)
    expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(/positive integer/)
  })
})

describe('MemoryStore TTLs (real time, millisecond precision)', () => {
  it('never returns an expired entry', async () => {
    const store = new MemoryStore()
    await store.set('short', b('x'), { ttl: 30 })
    await store.set('long', b('y'), { ttl: 60_000 })
    expect(await store.has('short')).toBe(true)
    await vi.waitFor(
      async () => {
        expect(await store.get('short')).toBeUndefined()
      },
      { timeout: 2000, interval: 5 },
    )
    expect(await store.has('short')).toBe(false)
    expect(await store.ttl('short')).toBeUndefined()
    expect(await store.getMany(['short', 'long'])).toEqual([undefined, b('y')])
    expect(await store.expire('short', 1000)).toBe(false)
    expect(await store.persist('short')).toBe(false)
    expect(await collect(store.scan('*'))).toEqual([['long']])
  })

  it('reports the milliseconds left', async () => {
    const store = new MemoryStore()
    await store.set('k', b('x'), { ttl: 5000 })
    const left = await store.ttl('k')
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(5000)
    expect(await store.ttl('missing')).toBeUndefined()
  })

  it('expire, expireAt and persist change the expiry of existing keys only', async () => {
    const store = new MemoryStore()
    await store.set('k', b('x'))
    expect(await store.expire('k', 10_000)).toBe(true)
    expect(await store.ttl('k')).toBeLessThanOrEqual(10_000)
    expect(await store.persist('k')).toBe(true)
    expect(await store.ttl('k')).toBeNull()
    expect(await store.expireAt('k', Date.now() + 20_000)).toBe(true)
    expect(await store.ttl('k')).toBeGreaterThan(10_000)
    expect(await store.expireAt('missing', Date.now() + 1000)).toBe(false)
  })

  it('removes a key given a past expiry or a TTL <= 0, like Redis', async () => {
    const store = new MemoryStore()
    await store.set('a', b('x'))
    await store.set('c', b('x'))
    expect(await store.expireAt('a', Date.now() - 1)).toBe(true)
    expect(await store.has('a')).toBe(false)
    expect(await store.expire('c', 0)).toBe(true)
    expect(await store.has('c')).toBe(false)
  })

  it('sweeps expired entries on writes, without timers and without reads', async () => {
    const store = new MemoryStore()
    const setAt = Date.now()
    for (let i = 0; i < 100; i++) await store.set(`old${i}`, b('x'.repeat(10)), { ttl: 20 })
    const heldBefore = store.bytes
    expect(heldBefore).toBeGreaterThan(100 * 10)
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(setAt + 40), { timeout: 2000, interval: 5 })
    for (let i = 0; i < 200; i++) await store.set(`new${i}`, b('y'))
    // All 100 expired entries are gone although none of them was read: only the new ones count.
    const newBytes = 10 * ('new0'.length + 1) + 90 * ('new10'.length + 1) + 100 * ('new100'.length + 1)
    expect(store.bytes).toBe(newBytes)
  })
})

describe('MemoryStore bounds: LRU eviction', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = new MemoryStore({ maxEntries: 3 })
    await store.set('a', b('1'))
    await store.set('b', b('2'))
    await store.set('c', b('3'))
    await store.get('a') // a is now the most recently used
    await store.set('d', b('4'))
    expect(await store.has('b')).toBe(false)
    expect(await store.getMany(['a', 'c', 'd'])).toEqual([b('1'), b('3'), b('4')])
    expect(store.size).toBe(3)
  })

  it('evicts by bytes (key + value)', async () => {
    const store = new MemoryStore({ maxBytes: 30 })
    await store.set('k1', Buffer.alloc(8)) // 10 bytes
    await store.set('k2', Buffer.alloc(8)) // 20
    await store.set('k3', Buffer.alloc(8)) // 30
    expect(store.bytes).toBe(30)
    await store.set('k4', Buffer.alloc(8)) // 40 > 30: k1 goes
    expect(await store.has('k1')).toBe(false)
    expect(store.bytes).toBe(30)
    await store.set('k5', Buffer.alloc(18)) // 20 more: k2 and k3 go
    expect(await store.getMany(['k2', 'k3', 'k4'])).toEqual([undefined, undefined, Buffer.alloc(8)])
    expect(store.bytes).toBe(30)
  })

  it('counts keys in UTF-8 bytes', async () => {
    const store = new MemoryStore()
    await store.set('é', Buffer.alloc(1))
    expect(store.bytes).toBe(3)
  })

  it('does not store a value larger than maxBytes, and drops the old value of that key', async () => {
    const store = new MemoryStore({ maxBytes: 10 })
    await store.set('k', b('small'))
    expect(await store.set('k', Buffer.alloc(100))).toBe(false)
    expect(await store.has('k')).toBe(false)
    expect(store.bytes).toBe(0)
  })

  it('updating a key replaces its size', async () => {
    const store = new MemoryStore()
    await store.set('k', Buffer.alloc(10))
    await store.set('k', Buffer.alloc(3))
    expect(store.bytes).toBe(4)
  })
})

describe('MemoryStore incr', () => {
  it('starts a missing key at 0 and adds atomically', async () => {
    const store = new MemoryStore()
    expect(await store.incr('n', 1)).toBe(1)
    expect(await store.incr('n', 5)).toBe(6)
    expect(await store.incr('n', -10)).toBe(-4)
    expect((await store.get('n'))?.toString()).toBe('-4')
    expect(await store.ttl('n')).toBeNull()
  })

  it('keeps the TTL', async () => {
    const store = new MemoryStore()
    await store.set('n', b('10'), { ttl: 60_000 })
    expect(await store.incr('n', 1)).toBe(11)
    expect(await store.ttl('n')).toBeGreaterThan(50_000)
  })

  it.each(['abc', '1.5', '', ' 1', '01', '+1', '99999999999999999999'])(
    'fails on %j like Redis (E_REDIS, value is not an integer)',
    async (text) => {
      const store = new MemoryStore()
      await store.set('n', b(text))
      const error = await rejection(store.incr('n', 1))
      expect(isRediskitError(error, 'E_REDIS')).toBe(true)
      expect(error.message).toMatch(/value is not an integer or out of range/)
      expect((await store.get('n'))?.toString()).toBe(text)
    },
  )

  it('refuses to overflow a safe integer', async () => {
    const store = new MemoryStore()
    await store.set('n', b(String(Number.MAX_SAFE_INTEGER)))
    expect((await rejection(store.incr('n', 1))).message).toMatch(/overflow/)
  })
})

describe('MemoryStore scan', () => {
  it('walks keys matching a Redis glob in batches of count, each key once', async () => {
    const store = new MemoryStore()
    for (let i = 0; i < 25; i++) await store.set(`user:${i}`, b('x'))
    await store.set('other', b('x'))
    const batches = await collect(store.scan('user:*', { count: 10 }))
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5])
    const all = batches.flat()
    expect(new Set(all).size).toBe(25)
    expect(all).not.toContain('other')
    expect((await collect(store.scan('user:1?'))).flat().sort()).toEqual([
      'user:10',
      'user:11',
      'user:12',
      'user:13',
      'user:14',
      'user:15',
      'user:16',
      'user:17',
      'user:18',
      'user:19',
    ])
    expect((await collect(store.scan('user:[2-3]'))).flat().sort()).toEqual(['user:2', 'user:3'])
  })

  it('matches a pattern without glob characters exactly', async () => {
    const store = new MemoryStore()
    await store.set('a*', b('x'))
    await store.set('ab', b('x'))
    expect(await collect(store.scan('ab'))).toEqual([['ab']])
    expect(await collect(store.scan('zz'))).toEqual([])
    expect(await collect(store.scan('a\\*'))).toEqual([['a*']])
  })

  it('tolerates writes and deletes during a scan', async () => {
    const store = new MemoryStore()
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, b('x'))
    const seen: string[] = []
    for await (const batch of store.scan('k*', { count: 2 })) {
      for (const key of batch) {
        seen.push(key)
        await store.delete(key)
        await store.set(`${key}-new`, b('y'))
      }
    }
    expect(seen.sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'])
  })
})

describe('MemoryStore leases', () => {
  it('acquires once, releases and extends only with the holding token', async () => {
    const store = new MemoryStore()
    expect(await store.acquireLease('lease', 't1', 10_000)).toBe(true)
    expect(await store.acquireLease('lease', 't2', 10_000)).toBe(false)
    expect(await store.extendLease('lease', 't2', 20_000)).toBe(false)
    expect(await store.extendLease('lease', 't1', 20_000)).toBe(true)
    expect(await store.ttl('lease')).toBeGreaterThan(10_000)
    expect(await store.releaseLease('lease', 't2')).toBe(false)
    expect(await store.releaseLease('lease', 't1')).toBe(true)
    expect(await store.acquireLease('lease', 't2', 10_000)).toBe(true)
  })

  it('lets a lease lapse after its TTL', async () => {
    const store = new MemoryStore()
    expect(await store.acquireLease('lease', 't1', 20)).toBe(true)
    await vi.waitFor(
      async () => {
        expect(await store.acquireLease('lease', 't2', 10_000)).toBe(true)
      },
      { timeout: 2000, interval: 5 },
    )
    expect(await store.releaseLease('lease', 't1')).toBe(false)
  })
})
