import { describe, expect, it } from 'vitest'
import { createCache } from '../src/create-cache.js'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'
import type { Compressor, Serializer } from '../src/types.js'

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }

async function storedKeys(store: MemoryStore): Promise<string[]> {
  const out: string[] = []
  for await (const batch of store.scan('*')) out.push(...batch)
  return out.sort()
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('keys / scan / deletePattern', () => {
  it('lists user keys of the current version matching a glob', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    await cache.setMany({ 'user:1': 1, 'user:2': 2, 'post:1': 3 })
    await cache.set('user:3', 3, { version: 2 })
    await store.set('foreign:user:9', Buffer.from('1'))
    expect((await cache.keys('user:*')).sort()).toEqual(['user:1', 'user:2'])
    expect((await cache.keys()).sort()).toEqual(['post:1', 'user:1', 'user:2'])
    expect(await cache.keys('user:*', { version: 2 })).toEqual(['user:3'])
    const scanned: string[] = []
    for await (const key of cache.scan('*:1', { count: 1 })) scanned.push(key)
    expect(scanned.sort()).toEqual(['post:1', 'user:1'])
  })

  it('treats glob characters in the prefix literally', async () => {
    const store = new MemoryStore()
    const odd = createCache({ store, prefix: 'a*', logger: quiet })
    const other = createCache({ store, prefix: 'ab', logger: quiet })
    await odd.set('k', 1)
    await other.set('k', 2)
    expect(await odd.keys()).toEqual(['k'])
    expect(await odd.deletePattern('*')).toBe(1)
    expect(await other.get('k')).toBe(2)
  })

  it('deletePattern deletes matching keys of the current version in batches and counts them', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    for (let i = 0; i < 30; i++) await cache.set(`session:${i}`, i)
    await cache.set('keep', 1)
    await cache.set('session:old', 1, { version: 0 })
    expect(await cache.deletePattern('session:*', { count: 7 })).toBe(30)
    expect(await storedKeys(store)).toEqual(['app:0:session:old', 'app:1:keep'])
    expect(await cache.deletePattern('nothing*')).toBe(0)
  })
})

describe('versions, clear and incrVersion', () => {
  it('reads and writes other versions with { version }', async () => {
    const cache = createCache({ prefix: 'app', version: 3, logger: quiet })
    await cache.set('k', 'v3')
    await cache.set('k', 'v1', { version: 1 })
    expect(await cache.get('k')).toBe('v3')
    expect(await cache.get('k', { version: 1 })).toBe('v1')
    expect(await cache.has('k', { version: 2 })).toBe(false)
    expect(await cache.delete('k', { version: 1 })).toBe(true)
    expect(await cache.get('k', { version: 1 })).toBeUndefined()
  })

  it('clear() deletes every version of this cache and nothing else', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    const users = cache.namespace('users')
    const neighbour = createCache({ store, prefix: 'other', logger: quiet })
    await cache.set('a', 1)
    await cache.set('a', 1, { version: 2 })
    await cache.set('a', 1, { version: -1 })
    await users.set('u', 1)
    await neighbour.set('a', 1)
    await store.set('app:notaversion:x', Buffer.from('1'))
    await store.set('unrelated', Buffer.from('1'))
    await cache.clear()
    expect(await storedKeys(store)).toEqual(['app:notaversion:x', 'app:users:1:u', 'other:1:a', 'unrelated'])
  })

  it('clear({ version }) deletes only that version', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    await cache.set('a', 1)
    await cache.set('a', 2, { version: 2 })
    await cache.clear({ version: 2 })
    expect(await storedKeys(store)).toEqual(['app:1:a'])
  })

  it('clear() with an empty prefix never touches foreign keys', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, logger: quiet })
    await cache.set('a', 1)
    await store.set('sess:abc', Buffer.from('x'))
    await store.set('plain', Buffer.from('x'))
    await cache.clear()
    expect(await storedKeys(store)).toEqual(['plain', 'sess:abc'])
  })

  it('clear({ flush: true }) empties the whole store', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    await cache.set('a', 1)
    await store.set('unrelated', Buffer.from('1'))
    await cache.clear({ flush: true })
    expect(await storedKeys(store)).toEqual([])
  })

  it('incrVersion moves a value to the next version, keeping its TTL', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', logger: quiet })
    await cache.set('k', { v: 1 }, '1h')
    expect(await cache.incrVersion('k')).toBe(2)
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.get('k', { version: 2 })).toEqual({ v: 1 })
    expect(await cache.ttl('k', { version: 2 })).toBeGreaterThan(3_500_000)
    expect(await cache.incrVersion('k', 3, { version: 2 })).toBe(5)
    expect(await storedKeys(store)).toEqual(['app:5:k'])
    await cache.set('forever', 1, null)
    expect(await cache.incrVersion('forever', -1)).toBe(0)
    expect(await cache.ttl('forever', { version: 0 })).toBeNull()
  })

  it('incrVersion of a missing key returns undefined; a zero delta is E_CONFIG', async () => {
    const cache = createCache({ logger: quiet })
    expect(await cache.incrVersion('missing')).toBeUndefined()
    expect(isRediskitError(await rejection(cache.incrVersion('k', 0)), 'E_CONFIG')).toBe(true)
  })
})

describe('namespaces', () => {
  it('extend the prefix and share the store', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', version: 2, logger: quiet })
    const users = cache.namespace('users')
    const admins = users.namespace('admins')
    expect(users.prefix).toBe('app:users')
    expect(admins.prefix).toBe('app:users:admins')
    expect(users.store).toBe(store)
    await cache.set('k', 'parent')
    await users.set('k', 'child')
    await admins.set('k', 'grandchild')
    expect(await cache.get('k')).toBe('parent')
    expect(await users.get('k')).toBe('child')
    expect(await admins.get('k')).toBe('grandchild')
    expect(await storedKeys(store)).toEqual(['app:2:k', 'app:users:2:k', 'app:users:admins:2:k'])
    expect(await users.keys()).toEqual(['k'])
    await users.clear()
    expect(await storedKeys(store)).toEqual(['app:2:k', 'app:users:admins:2:k'])
  })

  it('closing a namespace leaves the parent and its store open; closing the parent closes both', async () => {
    const cache = createCache({ memory: { maxEntries: 10 }, logger: quiet })
    const child = cache.namespace('c')
    await child.close()
    expect(child.closed).toBe(true)
    expect(isRediskitError(await rejection(child.get('k')), 'E_CLOSED')).toBe(true)
    await cache.set('k', 1)
    expect(await cache.get('k')).toBe(1)
    const other = cache.namespace('d')
    await cache.close()
    expect(other.closed).toBe(true)
    expect(isRediskitError(await rejection(other.get('k')), 'E_CLOSED')).toBe(true)
  })

  it('rejects an empty name (E_CONFIG)', () => {
    const cache = createCache({ logger: quiet })
    expect(() => cache.namespace('')).toThrow(/non-empty/)
  })
})

describe('keyFunction', () => {
  it('builds every key, and keys/scan/clear work through a key-embedding function', async () => {
    const store = new MemoryStore()
    const cache = createCache({
      store,
      prefix: 'app',
      keyFunction: (key, prefix, version) => `${prefix}/v${version}/${key}`,
      logger: quiet,
    })
    await cache.set('a', 1)
    await cache.set('b', 2, { version: 2 })
    expect(await storedKeys(store)).toEqual(['app/v1/a', 'app/v2/b'])
    expect(await cache.keys()).toEqual(['a'])
    expect(await cache.keys('*', { version: 2 })).toEqual(['b'])
    const ns = cache.namespace('ns')
    await ns.set('c', 3)
    expect(await storedKeys(store)).toContain('app:ns/v1/c')
    await cache.clear()
    expect(await storedKeys(store)).toEqual(['app:ns/v1/c'])
  })

  it('with a function that hides the key, gets and sets work but listing fails with E_CONFIG', async () => {
    const store = new MemoryStore()
    const cache = createCache({
      store,
      keyFunction: (key, prefix, version) => `${prefix}:${version}:${Buffer.from(key).toString('base64')}`,
      logger: quiet,
    })
    await cache.set('user', 'x')
    expect(await cache.get('user')).toBe('x')
    expect(await storedKeys(store)).toEqual([':1:dXNlcg=='])
    for (const call of [cache.keys(), cache.deletePattern('*'), cache.clear(), cache.reencode()]) {
      const error = await rejection(call)
      expect(isRediskitError(error, 'E_CONFIG')).toBe(true)
      expect(error.message).toMatch(/keyFunction/)
    }
    await cache.clear({ flush: true })
    expect(await storedKeys(store)).toEqual([])
  })
})

describe('reencode', () => {
  const upper: Serializer = {
    name: 'upper-json',
    serialize: (value) => JSON.stringify(value).toUpperCase(),
    deserialize: (data) => JSON.parse(data.toString()),
  }
  const reverse: Compressor = {
    name: 'reverse',
    id: 77,
    compress: (data) => Buffer.from(data).reverse().subarray(1), // "shrinks": drops the last byte...
    decompress: (data) => Buffer.concat([Buffer.from(data).reverse(), Buffer.from('"')]), // ...which is always '"'
  }

  it('rewrites values with the current compressor, keeping TTLs, and counts them', async () => {
    const store = new MemoryStore()
    const before = createCache({ store, prefix: 'app', logger: quiet })
    await before.set('s1', 'aaaaaaaaaa', '1h')
    await before.set('s2', 'bbbbbbbbbb')
    await before.set('n', 5)
    const after = createCache({
      store,
      prefix: 'app',
      compressor: reverse,
      compressThreshold: 0,
      logger: quiet,
    })
    expect(await after.reencode()).toBe(2)
    const raw = await store.get('app:1:s1')
    expect(raw?.[3]).toBe(77)
    expect(await after.get('s1')).toBe('aaaaaaaaaa')
    expect(await after.ttl('s1')).toBeGreaterThan(3_500_000)
    expect(await after.ttl('s2')).toBeNull()
    expect(await after.get('n')).toBe(5)
    expect(await after.reencode()).toBe(0) // already current
    // A cache without that compressor cannot read them; with it as a decompressor it can.
    const plain = createCache({ store, prefix: 'app', logger: quiet })
    expect(await plain.get('s1')).toBeUndefined()
    const reader = createCache({ store, prefix: 'app', decompressors: [reverse], logger: quiet })
    expect(await reader.get('s1')).toBe('aaaaaaaaaa')
    expect(await reader.reencode('s*')).toBe(2)
    expect(await plain.get('s1')).toBe('aaaaaaaaaa')
  })

  it('skips values that do not decode, reporting them', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'app', serializer: upper, logger: quiet })
    await store.set('app:1:bad', Buffer.from('\u00c1garbage', 'latin1'))
    await store.set('app:1:good', Buffer.from([0xc1, 1, 0, 0, ...Buffer.from('"x"')]))
    const errors: unknown[] = []
    cache.on('error', (error) => errors.push(error))
    expect(await cache.reencode()).toBe(1)
    expect(errors).toHaveLength(1)
    expect(isRediskitError(errors[0], 'E_DECODE')).toBe(true)
    expect((await store.get('app:1:good'))?.subarray(4).toString()).toBe('"X"')
  })
})
