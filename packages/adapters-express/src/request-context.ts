import type { Cache } from '@rediskit/core'
import type { Markers } from './markers.js'

/** What the middleware did with a request: served from the cache, computed, or not cached at all. */
export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'

/** `req.cache`: the response cache as seen by a handler. */
export interface ResponseCacheContext {
  /** The rediskit cache behind the middleware (use it for data caching in handlers too). */
  readonly cache: Cache
  /** The key this request's response is cached under; `undefined` when it bypasses the cache. */
  readonly key: string | undefined
  /** `MISS` while a handler runs for a cacheable request, `BYPASS` when nothing will be stored. */
  readonly status: CacheStatus
  /** Adds tags to the response being produced (also `res.locals.cacheTags`), for `invalidateTags`. */
  tag(...tags: string[]): void
  /** Do not store the response being produced. */
  skip(): void
  /** See {@link CacheResponseMiddleware.invalidate}. */
  invalidate(target: string): Promise<void>
  /** See {@link CacheResponseMiddleware.invalidateTags}. */
  invalidateTags(tags: string | readonly string[]): Promise<void>
}

declare global {
  // Express merges its Request type with this global interface (Express 4 and 5 typings alike).
  namespace Express {
    interface Request {
      /** Set by `cacheResponse()` from @rediskit/express. */
      cache?: ResponseCacheContext | undefined
    }
  }
}

/** The `req.cache` of one request. @internal */
export class RequestContext implements ResponseCacheContext {
  readonly #markers: Markers
  key: string | undefined = undefined
  status: CacheStatus = 'BYPASS'
  readonly tags: string[] = []
  skipped = false

  constructor(markers: Markers) {
    this.#markers = markers
  }

  get cache(): Cache {
    return this.#markers.cache
  }

  tag(...tags: string[]): void {
    for (const tag of tags) {
      if (typeof tag !== 'string' || tag === '')
        throw new TypeError('req.cache.tag(): tags are non-empty strings')
      this.tags.push(tag)
    }
  }

  skip(): void {
    this.skipped = true
  }

  invalidate(target: string): Promise<void> {
    return this.#markers.invalidate(target)
  }

  invalidateTags(tags: string | readonly string[]): Promise<void> {
    return this.#markers.invalidateTags(tags)
  }
}
