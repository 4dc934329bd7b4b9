import {
  createCache,
  isRediskitError,
  RedisStore,
  ReplicatedTopology,
  StandaloneTopology,
} from '@rediskit/core'
import { type RedisDeployment, startRedis, storeContract, topologyContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { nativeDriver } from '../src/index.js'

// RedisStore and the topologies on nativeDriver pass the same contract suites as on ioredis.
let standalone: RedisDeployment | undefined
let replicated: RedisDeployment | undefined
vitest.afterAll(async () => {
  await Promise.all([standalone?.stop(), replicated?.stop()])
})
const server = async (): Promise<RedisDeployment> => {
  standalone ??= await startRedis()
  return standalone
}

storeContract(vitest, 'RedisStore on nativeDriver (RESP3)', async () => ({
  store: new RedisStore(new StandaloneTopology(nativeDriver((await server()).url))),
}))

storeContract(vitest, 'RedisStore on nativeDriver (RESP2)', async () => ({
  store: new RedisStore(new StandaloneTopology(nativeDriver((await server()).url, { protocol: 2 }))),
}))

topologyContract(vitest, 'standalone on nativeDriver', async () => ({
  topology: new StandaloneTopology(nativeDriver((await server()).url)),
}))

topologyContract(
  vitest,
  'primary + 2 replicas on nativeDrivers, reads from the replicas',
  async () => {
    replicated ??= await startRedis({ topology: 'replicated', replicas: 2 })
    const [primary, ...replicas] = replicated.urls.map((url) => nativeDriver(url))
    if (primary === undefined) throw new Error('no primary')
    return { topology: new ReplicatedTopology(primary, replicas, { readFrom: 'replica' }) }
  },
  { laggingReads: true },
)

vitest.describe('a Cache on nativeDriver', () => {
  vitest.it(
    'get/set/getMany/incr/getOrSet/scan/clear as on ioredis, binary-safe, with deadlines',
    async () => {
      const redis = await server()
      const cache = createCache({
        topology: new StandaloneTopology(nativeDriver(redis.url)),
        prefix: 'native',
        ttl: '1m',
      })
      try {
        vitest.expect(await cache.set('user:1', { name: 'Ada', tags: ['a', 'b'] })).toBe(true)
        vitest.expect(await cache.get('user:1')).toEqual({ name: 'Ada', tags: ['a', 'b'] })
        vitest.expect(await cache.get('missing')).toBeUndefined()
        await cache.setMany({ a: 1, b: 'two', c: [3] })
        vitest.expect(await cache.getMany(['a', 'b', 'missing', 'c'])).toEqual([1, 'two', undefined, [3]])
        vitest.expect(await cache.incr('counter', 5)).toBe(5)
        vitest.expect(await cache.decr('counter')).toBe(4)
        vitest.expect(await cache.add('a', 99)).toBe(false)
        const ttl = await cache.ttl('a')
        vitest.expect(ttl).toBeGreaterThan(50_000)
        let calls = 0
        const values = await Promise.all(
          Array.from({ length: 50 }, () => cache.getOrSet('hot', async () => ++calls, { ttl: '10s' })),
        )
        vitest.expect(new Set(values)).toEqual(new Set([1]))
        vitest.expect(calls).toBe(1)
        vitest.expect((await cache.keys('*')).sort()).toEqual(['a', 'b', 'c', 'counter', 'hot', 'user:1'])
        vitest.expect(await cache.deletePattern('user:*')).toBe(1)
        await cache.clear()
        vitest.expect(await cache.keys('*')).toEqual([])
        // 1000 concurrent reads coalesce and come back in order.
        await cache.setMany(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])))
        const reads = await Promise.all(Array.from({ length: 1000 }, (_, i) => cache.get(`k${i}`)))
        vitest.expect(reads).toEqual(Array.from({ length: 1000 }, (_, i) => i))
      } finally {
        await cache.close()
      }
    },
  )

  vitest.it(
    'a frozen server: operations fail with E_TIMEOUT at the deadline, or miss under handleErrors',
    async () => {
      await using redis = await startRedis()
      const strict = createCache({
        topology: new StandaloneTopology(nativeDriver(redis.url)),
        commandTimeout: 200,
      })
      const lenient = createCache({
        topology: new StandaloneTopology(nativeDriver(redis.url)),
        commandTimeout: 200,
        handleErrors: true,
        logErrors: false,
      })
      try {
        await strict.set('k', 'v')
        await lenient.get('k')
        await redis.pause(redis.primary)
        let thrown: unknown
        try {
          await strict.get('k')
        } catch (error) {
          thrown = error
        }
        vitest.expect(isRediskitError(thrown, 'E_TIMEOUT')).toBe(true)
        vitest.expect(await lenient.get('k')).toBeUndefined()
        await redis.resume(redis.primary)
        vitest.expect(await strict.get('k')).toBe('v')
      } finally {
        await strict.close()
        await lenient.close()
      }
    },
  )
})
