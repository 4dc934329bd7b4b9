import { Redis } from 'ioredis'
import type { IoredisNodeOptions } from './cluster-options.js'

/**
 * Finds out why the seed nodes cannot be reached. When ioredis fails to load the slot map it
 * reports only "Failed to refresh slots cache" (the connection it used swallowed the cause); this
 * connects to each seed the same way (same credentials, same TLS), one after the other, and
 * returns the first real error: refused, certificate rejected, WRONGPASS... `undefined` when a seed
 * answered after all.
 */
export async function probeSeeds(
  seeds: readonly { host: string; port: number }[],
  options: IoredisNodeOptions,
  timeout: number,
): Promise<Error | undefined> {
  let first: Error | undefined
  for (const { host, port } of seeds) {
    const error = await probe(host, port, options, timeout)
    if (error === undefined) return undefined
    first ??= error
  }
  return first
}

async function probe(
  host: string,
  port: number,
  options: IoredisNodeOptions,
  timeout: number,
): Promise<Error | undefined> {
  const redis = new Redis({
    ...options,
    host,
    port,
    lazyConnect: true,
    connectTimeout: timeout,
    commandTimeout: timeout,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
  })
  let error: Error | undefined
  redis.on('error', (e: Error) => {
    error ??= e
  })
  try {
    await redis.connect()
    await redis.ping()
  } catch (e) {
    error ??= e instanceof Error ? e : new Error(String(e))
  } finally {
    redis.disconnect()
  }
  return error
}
