import { randomUUID } from 'node:crypto'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cache } from '../src/cache.js'
import { createCache } from '../src/create-cache.js'
import { isRediskitError, type RediskitError } from '../src/errors.js'
import type { Compressor } from '../src/types.js'

// The Cache on a real redis-server: the same semantics the MemoryStore tests pin down, plus what
// only a server shows (raw bytes other clients see, INCRBY on them, a frozen server).

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }
let server: RedisDeployment
let raw: Redis
const caches: Cache[] = []

function cache(options: Parameters<typeof createCache>[0] = {}): Cache {
  const created = createCache({
    location: server.url,
    prefix: `t-${randomUUID().slice(0, 8)}`,
    logger: quiet,
    ...options,
  })
  caches.push(created)
  return created
}

beforeAll(async () => {
  server = await startRedis({ password: 'cache-secret' })
  raw = new Redis(server.url, { lazyConnect: true })
})

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()))
  raw?.disconnect()
  await server?.stop()
})

describe('Cache on redis-server', () => {
  it('stores values in the documented format, readable by other clients', async () => {
    const c = cache()
    await c.set('n', 42)
    await c.set('s', 'hi')
    expect(await raw.get(`${c.prefix}:1:n`)).toBe('42')
    expect((await raw.getBuffer(`${c.prefix}:1:s`))?.toString('hex')).toBe('c101000022686922')
    expect(await c.get('n')).toBe(42)
    expect(await c.get('s')).toBe('hi')
  })

  it('implements the TTL semantics with PX', async () => {
    const c = cache({ ttl: '10m' })
    await c.set('default', 1)
    await c.set('forever', 1, null)
    await c.set('gone', 1)
    expect(await c.set('gone', 2, 0)).toBe(false)
    const left = await c.ttl('default')
    expect(left).toBeGreaterThan(590_000)
    expect(left).toBeLessThanOrEqual(600_000)
    expect(await raw.pttl(`${c.prefix}:1:default`)).toBeGreaterThan(590_000)
    expect(await c.ttl('forever')).toBeNull()
    expect(await c.has('gone')).toBe(false)
    expect(await c.ttl('gone')).toBeUndefined()
  })

  it('runs every read and write method', async () => {
    const c = cache()
    expect(await c.add('a', { x: 1 })).toBe(true)
    expect(await c.add('a', { x: 2 })).toBe(false)
    expect(await c.set('a', 3, { xx: true, keepTtl: true })).toBe(true)
    expect(
      await c.setMany(
        new Map<string, unknown>([
          ['b', 'B'],
          ['c', [1]],
        ]),
        '1h',
      ),
    ).toBe(true)
    expect(await c.getMany(['a', 'b', 'c', 'd'])).toEqual([3, 'B', [1], undefined])
    expect(await c.ttl('b')).toBeGreaterThan(3_500_000)
    expect(await c.expire('a', '30s')).toBe(true)
    expect(await c.ttl('a')).toBeLessThanOrEqual(30_000)
    expect(await c.persist('a')).toBe(true)
    expect(await c.ttl('a')).toBeNull()
    expect(await c.persist('a')).toBe(true) // exists without expiry: still true
    expect(await c.touch('a', 5000)).toBe(true)
    expect(await c.expireAt('a', new Date(Date.now() + 60_000))).toBe(true)
    expect(await c.expire('missing', 1000)).toBe(false)
    expect(await c.delete('a')).toBe(true)
    expect(await c.deleteMany(['b', 'c', 'd'])).toBe(2)
    expect(await c.has('b')).toBe(false)
  })

  it('incr/decr use INCRBY on the stored integer, keeping the TTL', async () => {
    const c = cache()
    expect(await c.incr('n')).toBe(1)
    await c.set('m', 41, '1h')
    expect(await c.incr('m')).toBe(42)
    expect(await c.decr('m', 2)).toBe(40)
    expect(await c.ttl('m')).toBeGreaterThan(3_500_000)
    await c.set('f', 1.5)
    let caught: unknown
    try {
      await c.incr('f')
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_REDIS')).toBe(true)
    expect((caught as Error).message).toMatch(/not an integer/)
  })

  it('getOrSet computes once for 100 concurrent callers', async () => {
    const c = cache()
    let calls = 0
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        c.getOrSet('cold', async () => {
          calls++
          return { computed: true }
        }),
      ),
    )
    expect(calls).toBe(1)
    expect(results.every((r) => r.computed)).toBe(true)
    expect(await c.get('cold')).toEqual({ computed: true })
  })

  it('keys, scan, deletePattern, clear by version, incrVersion and namespaces', async () => {
    const c = cache()
    for (let i = 0; i < 50; i++) await c.set(`user:${i}`, i)
    await c.set('post:1', 1)
    await c.set('old', 1, { version: 0 })
    const child = c.namespace('child')
    await child.set('x', 1)
    expect((await c.keys('user:1*')).sort()).toEqual([
      'user:1',
      ...Array.from({ length: 10 }, (_, i) => `user:1${i}`),
    ])
    let scanned = 0
    for await (const _ of c.scan('user:*', { count: 5 })) scanned++
    expect(scanned).toBe(50)
    expect(await c.deletePattern('user:*', { count: 7 })).toBe(50)
    expect(await c.incrVersion('post:1')).toBe(2)
    expect(await c.get('post:1', { version: 2 })).toBe(1)
    await c.clear({ version: 0 })
    expect(await c.has('old', { version: 0 })).toBe(false)
    await c.clear()
    expect(await c.keys('*', { version: 2 })).toEqual([])
    expect(await child.get('x')).toBe(1)
    await child.close()
    expect(await c.get('post:1', { version: 2 })).toBeUndefined()
  })

  it('reencode rewrites values for a new compressor; old values stay readable through decompressors', async () => {
    const tail: Compressor = {
      name: 'drop-quote',
      id: 99,
      compress: (data) => data.subarray(0, data.length - 1),
      decompress: (data) => Buffer.concat([data, Buffer.from('"')]),
    }
    const before = cache()
    await before.set('s', 'some text', '1h')
    const after = cache({ prefix: before.prefix, compressor: tail, compressThreshold: 0 })
    expect(await after.reencode()).toBe(1)
    expect((await raw.getBuffer(`${before.prefix}:1:s`))?.[3]).toBe(99)
    expect(await before.get('s')).toBeUndefined() // does not know id 99
    const reader = cache({ prefix: before.prefix, decompressors: [tail] })
    expect(await reader.get('s')).toBe('some text')
    expect(await after.ttl('s')).toBeGreaterThan(3_500_000)
  })

  it('reads foreign bytes as a miss plus an E_DECODE event', async () => {
    const c = cache()
    const errors: RediskitError[] = []
    c.on('error', (error) => errors.push(error))
    await raw.set(`${c.prefix}:1:foreign`, 'written by another client')
    expect(await c.get('foreign')).toBeUndefined()
    expect(errors.map((error) => error.code)).toEqual(['E_DECODE'])
  })

  it('exposes the ioredis client and never closes a client passed in', async () => {
    const own = cache()
    expect(own.client).toBeInstanceOf(Redis)
    const client = new Redis(server.url)
    const borrowed = createCache({ client, prefix: 'borrowed', logger: quiet })
    await borrowed.set('k', 1)
    await borrowed.close()
    expect(await client.get('borrowed:1:k')).toBe('1')
    client.disconnect()
  })

  it('bounds every operation by commandTimeout on a frozen server, and never leaks the password', async () => {
    const frozen = await startRedis({ password: 'frozen-secret' })
    try {
      const logged: string[] = []
      const logger = { ...quiet, error: (...args: unknown[]) => logged.push(args.map(String).join(' ')) }
      const c = createCache({ location: frozen.url, handleErrors: true, commandTimeout: 200, logger })
      caches.push(c)
      await c.set('k', 1)
      await frozen.pause(frozen.primary)
      const errors: RediskitError[] = []
      c.on('error', (error) => errors.push(error))
      const started = performance.now()
      expect(await c.get('k')).toBeUndefined()
      expect(await c.set('k', 2)).toBe(false)
      expect(performance.now() - started).toBeLessThan(2 * 200 + 1000)
      expect(errors.map((error) => error.code)).toEqual(['E_TIMEOUT', 'E_TIMEOUT'])
      expect(logged).toHaveLength(2)
      expect(JSON.stringify(logged)).not.toContain('frozen-secret')
      await frozen.resume(frozen.primary)
      // A write that timed out may still reach the server once it thaws: the cache recovers either way.
      expect([1, 2]).toContain(await c.get('k'))
    } finally {
      await frozen.stop()
    }
  })
})
