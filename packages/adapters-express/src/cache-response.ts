import type { Cache } from '@rediskit/core'
import type { NextFunction, Request, Response } from 'express'
import { Exchange } from './exchange.js'
import { Markers } from './markers.js'
import { type CacheResponseOptions, resolveOptions } from './options.js'

/** Invalidation of cached responses, usable from any process that shares the cache. */
export interface ResponseCacheInvalidator {
  /** The rediskit cache the responses live in. */
  readonly cache: Cache
  /** The prefix of the response keys in that cache. */
  readonly namespace: string
  /**
   * Makes cached responses miss, in every process sharing the cache. A path (`/products/42`)
   * covers every query and Vary variant of that path; a path with a query
   * (`/products?sort=name&page=2`, any parameter order) or an absolute URL covers that resource;
   * any other string is a key returned by the `key` option.
   */
  invalidate(target: string): Promise<void>
  /** Makes every cached response carrying one of `tags` miss. */
  invalidateTags(tags: string | readonly string[]): Promise<void>
  /** Deletes every cached response of this namespace (SCAN + delete, never FLUSHDB); returns how many. */
  clear(): Promise<number>
}

/** The middleware returned by {@link cacheResponse}, with its invalidation methods. */
export interface CacheResponseMiddleware extends ResponseCacheInvalidator {
  (req: Request, res: Response, next: NextFunction): void
}

/**
 * Response-cache middleware for Express 4 and 5, on a rediskit cache.
 *
 * ```ts
 * const cache = createCache({ location: process.env.REDIS_URL, ttl: '5m' })
 * const cached = cacheResponse({ cache, ttl: '30s', tags: ['catalog'] })
 * app.get('/products/:id', cached, handler)
 * await cached.invalidate('/products/42')
 * ```
 *
 * GET responses are stored after they finish and replayed on later requests (`X-Cache: HIT`,
 * `Age`); HEAD is answered from GET entries; concurrent misses share one handler run through
 * `cache.getOrSet`. The middleware never rejects and never fails a request: when the cache
 * fails, the handler runs as if there were no cache. See the README for every rule.
 */
export function cacheResponse(options: CacheResponseOptions): CacheResponseMiddleware {
  const resolved = resolveOptions(options)
  const markers = new Markers(resolved.cache, resolved.namespace)
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    void new Exchange(resolved, markers, req, res, next).run()
  }
  return Object.assign(middleware, invalidatorOf(markers))
}

/**
 * The invalidation methods of {@link cacheResponse} without a middleware, e.g. for a worker that
 * updates data served by web processes. `namespace` must match the middleware's (default `'http'`).
 */
export function responseCacheInvalidator(options: {
  cache: Cache
  namespace?: string | undefined
}): ResponseCacheInvalidator {
  const { cache, namespace = 'http' } = options
  resolveOptions({ cache, namespace })
  return invalidatorOf(new Markers(cache, namespace))
}

function invalidatorOf(markers: Markers): ResponseCacheInvalidator {
  return {
    cache: markers.cache,
    namespace: markers.namespace,
    invalidate: (target) => markers.invalidate(target),
    invalidateTags: (tags) => markers.invalidateTags(tags),
    clear: () => markers.clear(),
  }
}
