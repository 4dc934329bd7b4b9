import { type Cache, createCache, parseLocation } from '@rediskit/core'
import { type RedisDeployment, startRedis } from '@rediskit/testing'

/** The cache the demo runs on, and what it is, in words. */
export interface Backend {
  cache: Cache
  description: string
  close(): Promise<void>
}

/**
 * `REDIS_URL` when set; else a redis-server started for the demo (on a free port, in a temp dir,
 * stopped on exit) when the binary is installed; else the embedded MemoryStore.
 */
export async function openBackend(): Promise<Backend> {
  const url = process.env.REDIS_URL
  if (url !== undefined && url !== '') {
    const cache = createCache({ location: url, prefix: 'rediskit-demo' })
    const shown = parseLocation(url).map(String).join(', ')
    return { cache, description: `Redis at ${shown} (REDIS_URL)`, close: () => cache.close() }
  }
  let redis: RedisDeployment
  try {
    redis = await startRedis()
  } catch (error) {
    const cache = createCache()
    const missing = (error as { code?: unknown }).code === 'E_HARNESS_MISSING_BINARY'
    const reason = missing
      ? 'redis-server is not installed'
      : `redis-server did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`
    return {
      cache,
      description: `the embedded MemoryStore (${reason}; set REDIS_URL or install redis-server to use Redis)`,
      close: () => cache.close(),
    }
  }
  const cache = createCache({ location: redis.url, prefix: 'rediskit-demo' })
  return {
    cache,
    description: `a redis-server started for the demo at ${redis.primary.address} (stopped on exit)`,
    async close() {
      await cache.close()
      await redis.stop()
    },
  }
}
