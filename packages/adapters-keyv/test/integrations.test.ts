/**
 * The libraries that sit on Keyv, end to end on a real redis-server: cache-manager 7
 * (`createCache({ stores: [keyv] })`: set/get/ttl/wrap/del, mget/mset, clear) and cacheable 2 (the
 * adapter as the secondary store behind its in-memory primary).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { createCache } from 'cache-manager'
import { Cacheable } from 'cacheable'
import Keyv from 'keyv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyv, KeyvRediskit } from '../src/index.js'

const run = promisify(execFile)

let redis: RedisDeployment
const opened: { disconnect(): Promise<unknown> }[] = []

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  await Promise.all(opened.map((o) => o.disconnect()))
  await redis?.stop()
})

async function redisGet(key: string): Promise<string> {
  return (await run('redis-cli', ['-p', String(redis.primary.port), '--raw', 'GET', key])).stdout.trim()
}

describe('cache-manager 7', () => {
  it('set / get / ttl / wrap / del over createKeyv()', async () => {
    const keyv = createKeyv(redis.url, { namespace: 'cm' })
    opened.push(keyv)
    const cache = createCache({ stores: [keyv] })

    expect(await cache.set('user:1', { name: 'Ada' }, 10_000)).toEqual({ name: 'Ada' })
    expect(await cache.get('user:1')).toEqual({ name: 'Ada' })
    expect(JSON.parse(await redisGet('cm:user:1'))).toMatchObject({ value: { name: 'Ada' } })

    const expires = await cache.ttl('user:1') // cache-manager reports the expiry time (epoch ms)
    expect(expires).toBeGreaterThan(Date.now())
    expect(expires).toBeLessThanOrEqual(Date.now() + 10_000)
    const pttl = Number(
      (await run('redis-cli', ['-p', String(redis.primary.port), 'PTTL', 'cm:user:1'])).stdout,
    )
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(10_000)

    let calls = 0
    const compute = async () => {
      calls++
      return { computed: calls }
    }
    expect(await cache.wrap('report', compute, 10_000)).toEqual({ computed: 1 })
    expect(await cache.wrap('report', compute, 10_000)).toEqual({ computed: 1 })
    expect(calls).toBe(1)

    expect(await cache.del('user:1')).toBe(true)
    expect(await cache.get('user:1')).toBeUndefined()
    expect(await redisGet('cm:user:1')).toBe('')
  })

  it('mset / mget / mdel / clear over new Keyv(new KeyvRediskit(...)), clearing only its namespace', async () => {
    const keyv = new Keyv(new KeyvRediskit(redis.url), { namespace: 'cm2' })
    opened.push(keyv)
    const other = createKeyv(redis.url, { namespace: 'untouched' })
    opened.push(other)
    await other.set('k', 'stays')
    const cache = createCache({ stores: [keyv] })

    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: 2, ttl: 10_000 },
    ])
    expect(await cache.mget(['a', 'b', 'c'])).toEqual([1, 2, undefined])
    expect(await cache.mdel(['a'])).toBe(true)
    expect(await cache.mget(['a', 'b'])).toEqual([undefined, 2])
    expect(await cache.clear()).toBe(true)
    expect(await cache.get('b')).toBeUndefined()
    expect(await other.get('k')).toBe('stays')
  })

  it('in front of a memory tier: a second cache-manager instance reads through to Redis', async () => {
    const shared = createKeyv(redis.url, { namespace: 'tiers' })
    opened.push(shared)
    const first = createCache({ stores: [new Keyv(), shared] })
    await first.set('t', 'both tiers', 10_000)
    const second = createCache({ stores: [new Keyv(), shared] })
    expect(await second.get('t')).toBe('both tiers')
  })
})

describe('cacheable 2', () => {
  it('uses the adapter as its secondary store', async () => {
    const store = new KeyvRediskit(redis.url)
    opened.push(store)
    const first = new Cacheable({ secondary: store, namespace: 'cb' })
    expect(await first.set('k', { v: 1 }, '1m')).toBe(true)
    expect(await first.get('k')).toEqual({ v: 1 })
    // The value reached Redis through the adapter.
    expect((await store.cache.keys('*')).some((key) => key.endsWith('k'))).toBe(true)

    // Another instance with an empty memory tier finds it in Redis.
    const second = new Cacheable({ secondary: new KeyvRediskit(redis.url), namespace: 'cb' })
    opened.push(second)
    expect(await second.get('k')).toEqual({ v: 1 })
    expect(await second.has('k')).toBe(true)

    let calls = 0
    const compute = async () => ++calls
    expect(await first.getOrSet('once', compute)).toBe(1)
    expect(await second.getOrSet('once', compute)).toBe(1)
    expect(calls).toBe(1)

    expect(await first.delete('k')).toBe(true)
    expect(await second.get('k')).toEqual({ v: 1 }) // its memory tier still has it
    const third = new Cacheable({ secondary: createKeyv(redis.url), namespace: 'cb' })
    opened.push(third)
    expect(await third.get('k')).toBeUndefined()
  })

  it('takes a Keyv built by createKeyv() as its secondary, with TTLs reaching Redis', async () => {
    const keyv = createKeyv(redis.url)
    opened.push(keyv)
    const cacheable = new Cacheable({ secondary: keyv, namespace: 'cb2' })
    await cacheable.set('t', 'v', 5000)
    const store = keyv.store as KeyvRediskit
    expect(await store.cache.keys('cb2*')).toEqual(['cb2:t']) // cacheable's namespace, set on Keyv
    const left = await store.cache.ttl('cb2:t')
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(5000)
  })
})
