/**
 * What the adapter promises beyond Keyv's suite, on a real redis-server: the stored layout (keys
 * `namespace:key` with no double prefix, Keyv's string stored byte for byte), TTLs, namespaces and
 * a clear() that is SCAN + UNLINK of one namespace, keyv 6 semantics (driven directly here; the
 * real keyv 6 runs under Node 24 in keyv6-node24.test.ts), createKeyv, codecs, and ownership.
 */
import { execFile } from 'node:child_process'
import { inspect, promisify } from 'node:util'
import { gzip } from '@rediskit/compressors'
import { createCache, isRediskitError } from '@rediskit/core'
import { v8 } from '@rediskit/serializers'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import Keyv, { type KeyvOptions } from 'keyv'
import type { KeyvStorageAdapter as Keyv6StorageAdapter } from 'keyv6'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createKeyv, KeyvRediskit, keyvSerializer } from '../src/index.js'

const run = promisify(execFile)

let redis: RedisDeployment
const opened: { disconnect(): Promise<void> }[] = []

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  await Promise.all(opened.map((o) => o.disconnect()))
  await redis?.stop()
})

beforeEach(async () => {
  await run('redis-cli', ['-p', String(redis.primary.port), 'FLUSHALL'])
  await run('redis-cli', ['-p', String(redis.primary.port), 'CONFIG', 'RESETSTAT'])
})

function adapter(...args: ConstructorParameters<typeof KeyvRediskit>): KeyvRediskit {
  const made = new KeyvRediskit(...args)
  opened.push(made)
  return made
}

/** The raw bytes Redis holds at `key` (through the cache's store: no decoding). */
async function rawBytes(store: KeyvRediskit, key: string): Promise<Buffer | undefined> {
  return store.cache.store.get(key)
}

async function redisCli(...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(redis.primary.port), ...args])).stdout
}

describe('stored layout', () => {
  it("stores Keyv's string byte for byte under namespace:key: no double prefix, no second JSON encoding", async () => {
    const store = adapter(redis.url)
    const keyv = new Keyv(store)
    await keyv.set('foo', { a: 1 })
    expect(await store.cache.keys('*')).toEqual(['keyv:foo'])
    expect((await rawBytes(store, 'keyv:foo'))?.toString('utf8')).toBe('{"value":{"a":1}}')
    expect(await keyv.get('foo')).toEqual({ a: 1 })
  })

  it('keeps the cache prefix in front of the namespace', async () => {
    const store = adapter(redis.url, { prefix: 'app' })
    const keyv = new Keyv(store, { namespace: 'sessions' })
    await keyv.set('s1', 'x')
    expect((await redisCli('--raw', 'KEYS', '*')).trim()).toBe('app:sessions:s1')
  })

  it('stores values Keyv does not serialize (serialization off) as JSON behind the rediskit frame header', async () => {
    const store = adapter(redis.url)
    // Keyv's own switch for this is `serialize: undefined` (its types do not say so).
    const off = { serialize: undefined, deserialize: undefined } as unknown as Omit<KeyvOptions, 'store'>
    const keyv = new Keyv(store, off)
    await keyv.set('obj', { n: 1 })
    const bytes = await rawBytes(store, 'keyv:obj')
    expect(bytes?.subarray(0, 4)).toEqual(Buffer.from([0xc1, 1, 0, 0]))
    expect(bytes?.subarray(4).toString('utf8')).toBe('{"value":{"n":1}}')
    expect(await keyv.get('obj')).toEqual({ n: 1 })
    // A plain rediskit cache (default JSON serializer) reads the same bytes.
    const plain = createCache({ location: redis.url, keyFunction: (key) => key })
    expect(await plain.get('keyv:obj')).toEqual({ value: { n: 1 } })
    await plain.close()
  })

  it('keyvSerializer() gives a cache of your own the same storage', async () => {
    const cache = createCache({ location: redis.url, prefix: 'mine', serializer: keyvSerializer() })
    const keyv = new Keyv(new KeyvRediskit(cache))
    await keyv.set('k', 'v')
    expect((await redisCli('--raw', 'GET', 'mine:1:keyv:k')).trim()).toBe('{"value":"v"}')
    await cache.close()
  })

  it('reads a value it cannot decode as a miss and emits E_DECODE on the Keyv instance', async () => {
    const logged: unknown[] = []
    const logger = { error: (...args: unknown[]) => logged.push(args), warn: () => {}, debug: () => {} }
    const store = adapter(redis.url, { logger })
    const keyv = new Keyv(store)
    const errors: unknown[] = []
    keyv.on('error', (error: unknown) => errors.push(error))
    await store.cache.store.set('keyv:bad', Buffer.from([0xc1, 9, 9, 9]))
    expect(await keyv.get('bad')).toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(isRediskitError(errors[0], 'E_DECODE')).toBe(true)
    expect(logged).toHaveLength(1) // and logged: never silent
  })
})

describe('TTLs (keyv 5)', () => {
  it("passes Keyv's TTL to Redis (PX) and stores no expiry without one", async () => {
    const store = adapter(redis.url)
    const keyv = new Keyv(store)
    await keyv.set('t', 'v', 5000)
    await keyv.set('forever', 'v')
    const left = await store.cache.ttl('keyv:t')
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(5000)
    expect(await store.cache.ttl('keyv:forever')).toBeNull()
  })

  it("uses the cache's default ttl when Keyv gives none", async () => {
    const store = adapter(redis.url, { ttl: '1h' })
    const keyv = new Keyv(store)
    await keyv.set('d', 'v')
    expect(await store.cache.ttl('keyv:d')).toBeGreaterThan(3_500_000)
  })

  it('setMany groups entries by TTL, one boolean per entry', async () => {
    const store = adapter(redis.url)
    const keyv = new Keyv(store)
    const results = await keyv.setMany([
      { key: 'a', value: 1, ttl: 5000 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 5000 },
    ])
    expect(results).toEqual([true, true, true])
    expect(await keyv.get(['a', 'b', 'c'])).toEqual([1, 2, 3])
    expect(await store.cache.ttl('keyv:b')).toBeNull()
    expect(await store.cache.ttl('keyv:c')).toBeGreaterThan(0)
  })

  it('a negative TTL removes the key', async () => {
    const store = adapter(redis.url, { keyvVersion: 5 })
    await store.set('keyv:n', 'old')
    expect(await store.set('keyv:n', 'new', -1)).toBe(true)
    expect(await store.has('keyv:n')).toBe(false)
  })
})

describe('namespaces and clear()', () => {
  it('two namespaces on one server never collide, and clear() removes only its own (SCAN + UNLINK)', async () => {
    const a = new Keyv(adapter(redis.url), { namespace: 'a' })
    const b = new Keyv(adapter(redis.url), { namespace: 'b' })
    const glob = new Keyv(adapter(redis.url), { namespace: 'a*' })
    const other = createCache({ location: redis.url, prefix: 'other' })
    await Promise.all([
      a.set('k', 'from a'),
      b.set('k', 'from b'),
      glob.set('k', 'from a*'),
      other.set('a:k', 1),
    ])
    await redisCli('SET', 'ab:k', 'foreign')
    expect(await a.get('k')).toBe('from a')
    expect(await b.get('k')).toBe('from b')

    await a.clear()
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBe('from b')
    expect(await glob.get('k')).toBe('from a*')
    expect(await other.get('a:k')).toBe(1)
    expect((await redisCli('--raw', 'GET', 'ab:k')).trim()).toBe('foreign')

    await glob.clear() // 'a*' is a literal namespace, not a pattern
    expect(await glob.get('k')).toBeUndefined()
    expect((await redisCli('--raw', 'GET', 'ab:k')).trim()).toBe('foreign')

    const stats = await redisCli('INFO', 'commandstats')
    expect(stats).toContain('cmdstat_scan')
    expect(stats).toContain('cmdstat_unlink')
    expect(stats).not.toContain('cmdstat_flushdb')
    expect(stats).not.toContain('cmdstat_flushall')
    expect(stats).not.toContain('cmdstat_keys')
    await other.close()
  })

  it('without a namespace, clear() removes the keys of its cache prefix only', async () => {
    const keyv = new Keyv(adapter(redis.url, { prefix: 'p' }), { namespace: '' })
    await keyv.set('x', 1)
    await redisCli('SET', 'unrelated', '1')
    await keyv.clear()
    expect(await keyv.get('x')).toBeUndefined()
    expect((await redisCli('--raw', 'GET', 'unrelated')).trim()).toBe('1')
  })

  it("iterates one namespace's keys", async () => {
    const a = new Keyv(adapter(redis.url), { namespace: 'a' })
    const b = new Keyv(adapter(redis.url), { namespace: 'b' })
    for (let i = 0; i < 250; i++) await a.set(`k${i}`, i) // more than one SCAN/MGET batch
    await b.set('k0', 'b')
    const seen = new Map<string, unknown>()
    for await (const [key, value] of a.iterator?.(undefined) ?? []) seen.set(key as string, value)
    expect(seen.size).toBe(250)
    expect(seen.get('k7')).toBe(7)
  })
})

describe('keyv 6 semantics (the adapter driven as keyv 6 drives it)', () => {
  it("declares capabilities with expires: true; reading them (as keyv 6 does) switches 'auto' to keyv 6", () => {
    const store = adapter(redis.url)
    expect(store.keyvVersion).toBeUndefined()
    const capabilities = store.capabilities
    expect(capabilities.expires).toBe(true)
    expect(capabilities.store).toBe('keyvStorage')
    expect(capabilities.methods.get).toEqual({ exists: true, methodType: 'async' })
    expect(capabilities.methods.deleteMany.exists).toBe(true)
    expect(store.keyvVersion).toBe(6)
  })

  it("'auto' becomes keyv 5 at the first operation when nobody asked for capabilities", async () => {
    const store = adapter(redis.url)
    await store.get('x')
    expect(store.keyvVersion).toBe(5)
  })

  it('prefixes keys itself, takes absolute expiries, returns arrays, iterates unprefixed keys', async () => {
    const store = adapter(redis.url, { keyvVersion: 6, namespace: 'ns6' })
    expect(await store.set('a', 'A', Date.now() + 5000)).toBe(true)
    expect(await store.set('b', 'B')).toBe(true)
    expect(await store.cache.keys('*')).toEqual(expect.arrayContaining(['ns6:a', 'ns6:b']))
    const left = await store.cache.ttl('ns6:a')
    expect(left).toBeGreaterThan(4000)
    expect(left).toBeLessThanOrEqual(5000)
    expect(await store.cache.ttl('ns6:b')).toBeNull()

    expect(await store.set('a', 'gone', Date.now() - 1)).toBe(true) // already expired: removed
    expect(await store.get('a')).toBeUndefined()

    expect(
      await store.setMany([
        { key: 'c', value: 'C', expires: Date.now() + 5000 },
        { key: 'd', value: 'D' },
        { key: 'e', value: 'E', expires: Date.now() - 1 },
      ]),
    ).toEqual([true, true, true])
    expect(await store.getMany(['b', 'c', 'd', 'e', 'missing'])).toEqual([
      'B',
      'C',
      'D',
      undefined,
      undefined,
    ])
    expect(await store.hasMany(['b', 'e', 'missing'])).toEqual([true, false, false])
    expect(await store.deleteMany(['d', 'missing'])).toEqual([true, false])

    const entries: [string, unknown][] = []
    for await (const entry of store.iterator()) entries.push(entry)
    expect(entries.sort()).toEqual([
      ['b', 'B'],
      ['c', 'C'],
    ])
  })

  it('throws Redis failures to Keyv 6 (which emits and falls back itself)', async () => {
    const store = adapter('redis://127.0.0.1:1', { keyvVersion: 6, commandTimeout: 200, logErrors: false })
    const emitted: unknown[] = []
    store.on('error', (error) => emitted.push(error))
    await expect(store.get('x')).rejects.toSatisfy((error) => isRediskitError(error, 'E_CONNECTION'))
    expect(emitted).toEqual([])
  })
})

describe('createKeyv', () => {
  it('returns a ready Keyv over an adapter that owns its cache; disconnect() closes it', async () => {
    const keyv = createKeyv(redis.url, { namespace: 'ns', commandTimeout: 500 })
    expect(keyv).toBeInstanceOf(Keyv)
    const store = keyv.store as KeyvRediskit
    expect(store).toBeInstanceOf(KeyvRediskit)
    expect(store.keyvVersion).toBe(5)
    await keyv.set('k', 'v')
    expect(await store.cache.keys('*')).toEqual(['ns:k'])
    expect(await keyv.get('k')).toBe('v')
    await keyv.disconnect()
    expect(store.cache.closed).toBe(true)
  })

  it('accepts createCache options, and an existing cache that disconnect() leaves open', async () => {
    const fromOptions = createKeyv({ location: redis.url, prefix: 'opt' })
    opened.push(fromOptions)
    await fromOptions.set('k', 1)
    expect((await redisCli('--raw', 'KEYS', '*')).trim()).toBe('opt:keyv:k')

    const cache = createCache({ location: redis.url, prefix: 'own' })
    const keyv = createKeyv(cache)
    await keyv.set('k', 2)
    expect(await keyv.get('k')).toBe(2)
    await keyv.disconnect()
    expect(cache.closed).toBe(false)
    expect(await cache.has('keyv:k')).toBe(true)
    await cache.close()
  })

  it("with a rediskit serializer, turns Keyv's serialization off so values are encoded once (rich types survive)", async () => {
    const keyv = createKeyv(redis.url, { serializer: v8() })
    opened.push(keyv)
    const value = { at: new Date(0), big: 12n, tags: new Set(['a']) }
    await keyv.set('rich', value)
    expect(await keyv.get('rich')).toEqual(value)
    const bytes = await rawBytes(keyv.store as KeyvRediskit, 'keyv:rich')
    expect(bytes?.[0]).toBe(0xc1) // a rediskit frame, not a JSON string
  })

  it("encoding: 'cache' over an existing cache: its serializer encodes { value, expires } once", async () => {
    const cache = createCache({ location: redis.url, prefix: 'enc' })
    const keyv = createKeyv(cache, { encoding: 'cache' })
    await keyv.set('k', { n: [1, 2] })
    expect(await cache.get('keyv:k')).toEqual({ value: { n: [1, 2] } }) // not a JSON string inside JSON
    expect(await keyv.get('k')).toEqual({ n: [1, 2] })
    await cache.close()
  })

  it('compresses with a rediskit compressor (the values are framed)', async () => {
    const compressor = gzip()
    const keyv = createKeyv(redis.url, { compressor, compressThreshold: 100 })
    opened.push(keyv)
    const big = 'abc'.repeat(2000)
    await keyv.set('big', big)
    const bytes = await rawBytes(keyv.store as KeyvRediskit, 'keyv:big')
    expect(bytes?.[3]).toBe(compressor.id)
    expect(bytes?.length).toBeLessThan(1000)
    expect(await keyv.get('big')).toBe(big)
  })

  it('refuses a keyvVersion that is not the installed keyv', () => {
    expect(() => createKeyv(redis.url, { keyvVersion: 6 })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG' }) as unknown as Error,
    )
  })
})

describe('construction', () => {
  it('runs without Redis on the in-process memory store', async () => {
    const keyv = new Keyv(new KeyvRediskit())
    await keyv.set('m', { x: 1 }, 1000)
    expect(await keyv.get('m')).toEqual({ x: 1 })
    await keyv.disconnect()
  })

  it('rejects bad options with E_CONFIG', () => {
    const bad = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: 'E_CONFIG' }) as unknown as Error)
    bad(() => new KeyvRediskit({ keyvVersion: 7 as unknown as 5 }))
    bad(() => new KeyvRediskit({ namespace: 5 as unknown as string }))
    bad(() => new KeyvRediskit('http://nope'))
  })

  it('never shows the password', () => {
    const store = new KeyvRediskit('redis://:s3cret-pw@127.0.0.1:1/0')
    expect(inspect(store, { depth: 5, showHidden: true })).not.toContain('s3cret-pw')
    expect(JSON.stringify(store.opts)).not.toContain('s3cret-pw')
  })

  it('is a storage adapter for the types of keyv 5 and keyv 6', () => {
    const store = new KeyvRediskit()
    const keyv5: Keyv = new Keyv(store)
    const asKeyv6: Keyv6StorageAdapter = store
    expect([keyv5.store, asKeyv6]).toEqual([store, store])
  })
})
