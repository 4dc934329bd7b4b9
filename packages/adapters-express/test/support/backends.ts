import { type Cache, type CacheOptions, createCache } from '@rediskit/core'
import { type RedisDeployment, startRedis } from '@rediskit/testing'

/**
 * Where the cached responses live: a real redis-server started by the suite, or the embedded
 * MemoryStore. `create()` gives a fresh, isolated cache; `peer(cache)` a second cache on the same
 * data, as a second app process would have (for memory: the same in-process store).
 */
export interface Backend {
  name: 'redis' | 'memory'
  start(): Promise<void>
  stop(): Promise<void>
  create(options?: CacheOptions): Cache
  peer(cache: Cache): Cache
}

let sequence = 0

export function redisBackend(): Backend {
  let redis: RedisDeployment | undefined
  const caches: Cache[] = []
  const track = (cache: Cache): Cache => {
    caches.push(cache)
    return cache
  }
  const prefixes = new WeakMap<Cache, { prefix: string; options: CacheOptions }>()
  return {
    name: 'redis',
    async start() {
      redis = await startRedis()
    },
    async stop() {
      await Promise.all(caches.map((cache) => cache.close()))
      await redis?.stop()
    },
    create(options = {}) {
      if (redis === undefined) throw new Error('the redis backend is not started')
      const prefix = `t${process.pid}-${++sequence}`
      const cache = track(createCache({ commandTimeout: 2000, ...options, location: redis.url, prefix }))
      prefixes.set(cache, { prefix, options })
      return cache
    },
    peer(cache) {
      const known = prefixes.get(cache)
      if (redis === undefined || known === undefined) throw new Error('peer() of an unknown cache')
      return track(
        createCache({ commandTimeout: 2000, ...known.options, location: redis.url, prefix: known.prefix }),
      )
    },
  }
}

export function memoryBackend(): Backend {
  const caches: Cache[] = []
  return {
    name: 'memory',
    async start() {},
    async stop() {
      await Promise.all(caches.map((cache) => cache.close()))
    },
    create(options = {}) {
      const cache = createCache(options)
      caches.push(cache)
      return cache
    },
    peer(cache) {
      return cache
    },
  }
}
