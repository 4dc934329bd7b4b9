import { type Cache, parseTtl, RediskitError, type Ttl } from '@rediskit/core'
import type { Request } from 'express'

/** Options of {@link cacheResponse}. */
export interface CacheResponseOptions {
  /** The rediskit cache the responses go to (Redis, or the embedded memory store). Required. */
  cache: Cache
  /**
   * How long a response stays cached when it does not say (`Cache-Control: s-maxage` / `max-age`
   * win when present). Default: the cache's default TTL.
   */
  ttl?: Ttl | undefined
  /**
   * Builds the key of a request instead of method + path + sorted query. Returning `null` or
   * `undefined` bypasses the cache for that request (`X-Cache: BYPASS`). The `vary` headers are
   * still appended.
   */
  key?: ((req: Request) => string | null | undefined) | undefined
  /** Methods served from the cache: `GET` stores and serves, `HEAD` is served from GET entries. Default both. */
  methods?: readonly ('GET' | 'HEAD')[] | undefined
  /** Response statuses that are stored. Default `[200]`. 206, 304 and 5xx are never stored. */
  statuses?: readonly number[] | undefined
  /** Request headers that are part of the key (e.g. `['accept-language']`). Default none. */
  vary?: readonly string[] | undefined
  /** Bodies larger than this many bytes pass through uncached. Default 1 MiB. */
  maxBodySize?: number | undefined
  /** Tags of every response this middleware stores (or a function of the request), for `invalidateTags`. */
  tags?: readonly string[] | ((req: Request) => readonly string[] | undefined) | undefined
  /** The prefix of this middleware's keys in the cache. Default `'http'`. */
  namespace?: string | undefined
  /** Cache requests that carry `Authorization` (then add it to `vary` or key by user). Default false: they bypass. */
  cacheAuthorized?: boolean | undefined
  /** Honour the request's `Cache-Control: no-cache` / `no-store` (and `Pragma: no-cache`). Default true. */
  requestCacheControl?: boolean | undefined
  /** After a successful (2xx) POST/PUT/PATCH/DELETE through the middleware, invalidate its path. Default false. */
  invalidateOnWrite?: boolean | undefined
  /** Passed to `cache.getOrSet`: the cross-process lease of the request that computes a response. */
  lockTtl?: Ttl | undefined
  /** Passed to `cache.getOrSet`: how long other processes wait for that response. */
  waitTimeout?: Ttl | undefined
  /**
   * Called with failures the middleware absorbed (the response is always served): cache errors
   * (also emitted as the cache's 'error' events), a throwing `key`/`tags` function, an
   * invalidation after a write that failed.
   */
  onError?: ((error: unknown, req: Request) => void) | undefined
}

/** {@link CacheResponseOptions} validated, with defaults applied. */
export interface ResolvedOptions {
  cache: Cache
  ttl: Ttl | undefined
  /** `ttl` in ms (`null` = no expiry, `undefined` = the cache's default). */
  ttlMs: number | null | undefined
  key: ((req: Request) => string | null | undefined) | undefined
  methods: ReadonlySet<string>
  statuses: ReadonlySet<number>
  vary: readonly string[]
  maxBodySize: number
  tags: CacheResponseOptions['tags']
  namespace: string
  cacheAuthorized: boolean
  requestCacheControl: boolean
  invalidateOnWrite: boolean
  lockTtl: Ttl | undefined
  waitTimeout: Ttl | undefined
  onError: ((error: unknown, req: Request) => void) | undefined
}

const DEFAULT_MAX_BODY = 1024 * 1024

function configError(option: string, message: string): RediskitError {
  return new RediskitError('E_CONFIG', `cacheResponse: ${option} ${message}`, { details: { option } })
}

/** Validates the options (throws `RediskitError` `E_CONFIG` naming the option) and applies defaults. */
export function resolveOptions(options: CacheResponseOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw configError('options', 'must be an object')
  const { cache } = options
  if (typeof cache !== 'object' || cache === null || typeof cache.getOrSet !== 'function') {
    throw configError('cache', 'must be a rediskit cache (createCache() from @rediskit/core)')
  }
  const ttlMs = options.ttl === undefined ? undefined : parseTtl(options.ttl, 'ttl')
  if (typeof ttlMs === 'number' && ttlMs <= 0)
    throw configError('ttl', 'must be positive (or null for no expiry)')
  if (options.key !== undefined && typeof options.key !== 'function')
    throw configError('key', 'must be a function')

  const methods = new Set<string>()
  for (const method of options.methods ?? ['GET', 'HEAD']) {
    const upper = String(method).toUpperCase()
    if (upper !== 'GET' && upper !== 'HEAD') {
      throw configError(
        'methods',
        `may only list GET and HEAD (${String(method)} is never served from a cache)`,
      )
    }
    methods.add(upper)
  }

  const statuses = new Set<number>()
  for (const status of options.statuses ?? [200]) {
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw configError('statuses', `has ${String(status)}, which is not an HTTP status`)
    }
    if (status === 206 || status === 304 || status >= 500) {
      throw configError('statuses', `has ${status}: 206, 304 and 5xx responses are never stored`)
    }
    statuses.add(status)
  }

  const vary = (options.vary ?? []).map((name) => {
    if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name)) {
      throw configError('vary', `has ${JSON.stringify(name)}, which is not a header name`)
    }
    return name.toLowerCase()
  })

  const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY
  if (!Number.isSafeInteger(maxBodySize) || maxBodySize < 0) {
    throw configError('maxBodySize', 'must be a non-negative integer (bytes)')
  }
  const { tags } = options
  if (tags !== undefined && typeof tags !== 'function') {
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
      throw configError('tags', 'must be an array of non-empty strings or a function of the request')
    }
  }
  const namespace = options.namespace ?? 'http'
  if (typeof namespace !== 'string' || namespace === '')
    throw configError('namespace', 'must be a non-empty string')
  if (options.lockTtl !== undefined) parseTtl(options.lockTtl, 'lockTtl')
  if (options.waitTimeout !== undefined) parseTtl(options.waitTimeout, 'waitTimeout')
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw configError('onError', 'must be a function')
  }
  return {
    cache,
    ttl: options.ttl,
    ttlMs,
    key: options.key,
    methods,
    statuses,
    vary,
    maxBodySize,
    tags,
    namespace,
    cacheAuthorized: options.cacheAuthorized ?? false,
    requestCacheControl: options.requestCacheControl ?? true,
    invalidateOnWrite: options.invalidateOnWrite ?? false,
    lockTtl: options.lockTtl,
    waitTimeout: options.waitTimeout,
    onError: options.onError,
  }
}
