import { type Cache, escapeGlob, RediskitError } from '@rediskit/core'
import { normalizeTarget, resourceOf } from './request-key.js'

/**
 * Invalidation without scanning: every entry records the versions of its markers (its path, its
 * resource key, its tags) when it was produced; invalidating bumps a marker's version (INCR), and
 * an entry whose recorded versions are not the current ones is stale. Marker versions live in
 * the child cache `cache.namespace(namespace)`, so they never count in the cache's own stats and
 * `clear()` of the entries leaves them alone.
 */
export class Markers {
  /** The cache the entries live in (keys `${namespace}:...`). */
  readonly cache: Cache
  readonly namespace: string
  readonly #versions: Cache
  /** Failures of the versions cache so far (its 'error' events), also those `handleErrors` swallows. */
  #failures = 0
  #lastFailure: RediskitError | undefined

  constructor(cache: Cache, namespace: string) {
    this.cache = cache
    this.namespace = namespace
    this.#versions = cache.namespace(namespace)
    this.#versions.on('error', (error) => {
      this.#failures++
      this.#lastFailure = error
    })
  }

  /** The cache holding the marker versions. */
  get versions(): Cache {
    return this.#versions
  }

  /** The marker of every entry of a request path. */
  static path(path: string): string {
    return `p:${trimSlash(path)}`
  }

  /** The marker of every entry of a resource key (`path?sortedQuery`, or a custom key). */
  static resource(resource: string): string {
    return `k:${resource}`
  }

  /** The marker of a tag. */
  static tag(tag: string): string {
    return `t:${tag}`
  }

  /**
   * The current version of each marker (0 for one never bumped). Rejects when the store fails,
   * also when the cache's `handleErrors` turned the failure into misses: a marker that could not
   * be read must not look like one never bumped (that would serve invalidated entries). A failure
   * of a concurrent call in that window counts too (a miss, never a stale hit).
   */
  async read(markers: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    if (markers.length === 0) return out
    const failures = this.#failures
    const values = await this.#versions.getMany<unknown>(markers)
    if (this.#failures !== failures) throw this.#failed('read the invalidation markers')
    markers.forEach((marker, i) => {
      const value = values[i]
      out.set(marker, value === undefined ? 0 : typeof value === 'number' ? value : Number.NaN)
    })
    return out
  }

  /** Makes every entry recorded with these markers stale; rejects when that did not reach the store. */
  async bump(markers: readonly string[]): Promise<void> {
    const results = await Promise.all([...new Set(markers)].map((marker) => this.#versions.incr(marker)))
    // With handleErrors a failed INCR resolves to undefined: an invalidation must not fail silently.
    if (results.includes(undefined)) throw this.#failed('invalidate')
  }

  #failed(what: string): RediskitError {
    const cause = this.#lastFailure
    return new RediskitError(
      cause?.code ?? 'E_CONNECTION',
      `@rediskit/express could not ${what}: ${cause?.message ?? 'the cache failed'}`,
      { cause, details: { op: what } },
    )
  }

  /**
   * Invalidates by request target: a path (`/products/42`) invalidates every entry of that path
   * (all queries, all Vary variants) and the entries of a custom key equal to it; a path with a
   * query (`/products?page=2&sort=name`, parameters in any order) or an absolute URL invalidates
   * that resource only; any other string is a custom key.
   */
  invalidate(target: string): Promise<void> {
    if (typeof target !== 'string' || target === '') {
      return Promise.reject(new TypeError('invalidate(target): target must be a non-empty string'))
    }
    if (!target.startsWith('/') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
      return this.bump([Markers.resource(target)])
    }
    const { path, query } = normalizeTarget(target)
    if (query !== '') return this.bump([Markers.resource(resourceOf(path, query)), Markers.resource(target)])
    return this.bump([Markers.path(path), Markers.resource(path), Markers.resource(target)])
  }

  /** Invalidates every entry carrying one of `tags`. */
  invalidateTags(tags: string | readonly string[]): Promise<void> {
    const list = typeof tags === 'string' ? [tags] : [...tags]
    if (list.some((tag) => typeof tag !== 'string' || tag === '')) {
      return Promise.reject(new TypeError('invalidateTags(tags): tags must be non-empty strings'))
    }
    return this.bump(list.map(Markers.tag))
  }

  /** Deletes every cached response of this namespace (SCAN + delete); returns how many. */
  clear(): Promise<number> {
    return this.cache.deletePattern(`${escapeGlob(this.namespace)}:*`)
  }
}

/** `/a/` and `/a` are one path for invalidation (Express routes them alike by default). */
function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
