import { createHash } from 'node:crypto'
import type { GetOrSetOptions } from '@rediskit/core'
import type { NextFunction, Request, Response } from 'express'
import { deltaSeconds, parseCacheControl } from './cache-control.js'
import { type CapturedResponse, captureResponse } from './capture.js'
import { isNotModified } from './conditional.js'
import {
  decodeBody,
  encodeBody,
  headerSnapshot,
  isStoredResponse,
  type StoredResponse,
  storableHeaders,
  storedHeader,
  weakEtag,
} from './entry.js'
import { Markers } from './markers.js'
import type { ResolvedOptions } from './options.js'
import { RequestContext } from './request-context.js'
import { headerValue, normalizeTarget, type RequestKey, requestKey } from './request-key.js'

/** A response that is not stored, and why (rejects the `getOrSet` factory: nothing is cached). */
class NotStored extends Error {
  override readonly name = 'NotStored'
}

/** True for a {@link NotStored} (also when a cache layer wrapped it as the `cause`). */
function isNotStored(error: unknown): boolean {
  return error instanceof NotStored || (error instanceof Error && error.cause instanceof NotStored)
}

/** Headers a 304 carries (RFC 9110 15.4.5). */
const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'etag', 'expires', 'vary'])
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Lookups per request (a stale entry, a Vary variant...) before the handler simply runs. */
const MAX_STEPS = 4

type Verdict =
  | { kind: 'fresh'; entry: StoredResponse }
  | { kind: 'variant'; key: string }
  | { kind: 'stale' }
  /** Not usable here; the handler runs and its response may replace it. */
  | { kind: 'miss' }
  /** Cannot be checked (the store failed): the handler runs, nothing is stored. */
  | { kind: 'broken' }

interface Built {
  entry: StoredResponse
  /** The TTL the response asked for (`s-maxage` / `max-age`), in ms; `undefined` = the option's. */
  responseTtl: number | undefined
}

/** One request through the middleware. Never rejects: every failure ends in the handler running. */
export class Exchange {
  readonly #options: ResolvedOptions
  readonly #markers: Markers
  readonly #req: Request
  readonly #res: Response
  readonly #next: NextFunction
  readonly #context: RequestContext
  #passed = false
  #key: RequestKey | undefined
  #upstream: ReadonlyMap<string, string | string[]> = new Map()
  /** Markers known before the handler runs (path, resource, option tags) and their versions. */
  #known: string[] = []
  #versions: Promise<Map<string, number> | undefined> = Promise.resolve(undefined)

  constructor(options: ResolvedOptions, markers: Markers, req: Request, res: Response, next: NextFunction) {
    this.#options = options
    this.#markers = markers
    this.#req = req
    this.#res = res
    this.#next = next
    this.#context = new RequestContext(markers)
  }

  async run(): Promise<void> {
    try {
      await this.#run()
    } catch (error) {
      this.#report(error)
      if (!this.#passed && !this.#res.headersSent) this.#pass()
    }
  }

  async #run(): Promise<void> {
    const req = this.#req
    const options = this.#options
    req.cache = this.#context
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      if (options.invalidateOnWrite && WRITES.has(method)) this.#invalidateOnSuccess()
      return this.#pass()
    }
    if (!options.methods.has(method)) return this.#pass()
    const key = this.#bypasses() ? undefined : this.#keyOf()
    if (key === undefined) return this.#bypass()
    this.#key = key
    this.#context.key = key.key
    this.#upstream = headerSnapshot(this.#res.getHeaders())
    const target = `${options.namespace}:${key.key}`
    const refresh = options.requestCacheControl && requestDirectives(req).noCache
    const conditional =
      req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined
    if (refresh) return this.#produce(target, true)
    if (method === 'HEAD' || conditional) return this.#readOnly(target, method === 'GET')
    return this.#lookup(target)
  }

  // ---- the three paths -------------------------------------------------------------------------

  /**
   * GET: `getOrSet` on the key, so concurrent misses in this process share one handler run (and,
   * with core's cross-process leases, across processes); the request that runs the handler
   * answers its own client while the others replay what it stored.
   */
  async #lookup(first: string): Promise<void> {
    const cache = this.#options.cache
    let target = first
    for (let step = 0; step < MAX_STEPS; step++) {
      const lead: { ran: boolean; responseTtl: number | undefined } = { ran: false, responseTtl: undefined }
      let value: unknown
      try {
        value = await cache.getOrSet(target, () => this.#lead(lead), this.#getOrSetOptions())
      } catch (error) {
        if (lead.ran) {
          // This request ran the handler and has answered; the response was not stored.
          if (!isNotStored(error)) this.#report(error)
          return
        }
        if (isNotStored(error)) return this.#produce(target, true) // the leader failed: run it ourselves
        this.#report(error)
        return this.#produce(target, false) // the cache failed: serve, store nothing
      }
      if (lead.ran) {
        if (lead.responseTtl !== undefined && lead.responseTtl !== this.#options.ttlMs) {
          await cache.expire(target, lead.responseTtl).catch((error: unknown) => this.#report(error))
        }
        return
      }
      const verdict = await this.#check(value, target)
      if (verdict.kind === 'fresh') return this.#replay(verdict.entry)
      if (verdict.kind === 'variant') target = verdict.key
      else if (verdict.kind === 'stale')
        await cache.delete(target).catch((error: unknown) => this.#report(error))
      else return this.#produce(target, verdict.kind === 'miss')
    }
    return this.#produce(target, true)
  }

  /** HEAD, and conditional GETs: read only (they never lead); a miss runs the handler. */
  async #readOnly(first: string, store: boolean): Promise<void> {
    let target = first
    for (let step = 0; step < MAX_STEPS; step++) {
      let value: unknown
      try {
        value = await this.#options.cache.get(target)
      } catch (error) {
        this.#report(error)
        return this.#produce(target, false)
      }
      if (value === undefined) break
      const verdict = await this.#check(value, target)
      if (verdict.kind === 'fresh') return this.#replay(verdict.entry)
      if (verdict.kind !== 'variant') return this.#produce(target, store && verdict.kind !== 'broken')
      target = verdict.key
    }
    return this.#produce(target, store)
  }

  /** The `getOrSet` factory: runs the handler for everyone waiting on this key, resolves with what to store. */
  async #lead(lead: { ran: boolean; responseTtl: number | undefined }): Promise<StoredResponse> {
    lead.ran = true
    const known = await this.#versions.catch(() => undefined)
    this.#mark('MISS')
    const captured = captureResponse(this.#res, this.#options.maxBodySize)
    this.#pass()
    const built = await this.#build(await captured, known)
    lead.responseTtl = built.responseTtl
    return built.entry
  }

  /** Runs the handler for this request alone; stores its response with `set` when `store` and it qualifies. */
  async #produce(target: string, store: boolean): Promise<void> {
    const known = store ? await this.#versions.catch(() => undefined) : undefined
    this.#mark('MISS')
    if (known === undefined || this.#req.method === 'HEAD') return this.#pass()
    const captured = captureResponse(this.#res, this.#options.maxBodySize)
    this.#pass()
    let built: Built
    try {
      built = await this.#build(await captured, known)
    } catch (error) {
      if (!isNotStored(error)) this.#report(error)
      return
    }
    const ttl = built.responseTtl ?? this.#options.ttl
    await this.#options.cache.set(target, built.entry, ttl).catch((error: unknown) => this.#report(error))
  }

  // ---- checks --------------------------------------------------------------------------------

  /** Whether a cached value may answer this request. */
  async #check(value: unknown, target: string): Promise<Verdict> {
    if (!isStoredResponse(value)) return { kind: 'miss' }
    if (value.expiresAt !== undefined && Date.now() >= value.expiresAt) return { kind: 'stale' }
    if (value.vary !== undefined) {
      const current = value.vary.map((name) => headerValue(this.#req.headers, name) ?? null)
      const stored = value.varyValues ?? []
      if (current.some((v, i) => v !== stored[i])) {
        const key = this.#variantKey(value.vary, current)
        return key === target ? { kind: 'miss' } : { kind: 'variant', key }
      }
    }
    const known = await this.#versions.catch(() => undefined)
    if (known === undefined) return { kind: 'broken' }
    const unknown = value.markers.map(([marker]) => marker).filter((marker) => !known.has(marker))
    let extra: Map<string, number> | undefined
    if (unknown.length > 0) {
      try {
        extra = await this.#markers.read(unknown)
      } catch (error) {
        this.#report(error)
        return { kind: 'broken' }
      }
    }
    for (const [marker, version] of value.markers) {
      if ((known.get(marker) ?? extra?.get(marker)) !== version) return { kind: 'stale' }
    }
    return { kind: 'fresh', entry: value }
  }

  /** Turns a finished response into an entry, or throws {@link NotStored} saying why not. */
  async #build(captured: CapturedResponse, known: Map<string, number> | undefined): Promise<Built> {
    const { headers, body } = captured
    if (!captured.finished) throw new NotStored('the request was aborted')
    if (known === undefined) throw new NotStored('the invalidation markers could not be read')
    if (this.#context.skipped) throw new NotStored('req.cache.skip() was called')
    if (!this.#options.statuses.has(captured.status)) throw new NotStored(`status ${captured.status}`)
    if (body === undefined) throw new NotStored('the body is larger than maxBodySize')
    if (captured.transformed) throw new NotStored('Content-Encoding changed after the body was written')
    if (headers['set-cookie'] !== undefined) throw new NotStored('the response sets a cookie')
    const directives = parseCacheControl(headers['cache-control'])
    for (const directive of ['no-store', 'private', 'no-cache']) {
      if (directives.has(directive)) throw new NotStored(`Cache-Control: ${directive}`)
    }
    const vary = varyNames(headers.vary)
    if (vary.includes('*')) throw new NotStored('Vary: *')
    const seconds = deltaSeconds(directives, 's-maxage') ?? deltaSeconds(directives, 'max-age')
    if (seconds === 0) throw new NotStored('max-age=0')
    const ttl = seconds === undefined ? this.#options.ttlMs : seconds * 1000

    const tags = [...this.#context.tags, ...localsTags(this.#res.locals.cacheTags)]
    const markers = new Map(this.#known.map((marker) => [marker, known.get(marker) ?? 0]))
    const late = [...new Set(tags.map(Markers.tag))].filter((marker) => !markers.has(marker))
    if (late.length > 0) {
      // Tags named while the handler ran: their versions are read now (see the README on this window).
      const versions = await this.#markers.read(late)
      for (const marker of late) markers.set(marker, versions.get(marker) ?? 0)
    }

    const stored = storableHeaders(headers, this.#upstream)
    if (!stored.some(([name]) => name === 'etag')) stored.push(['etag', weakEtag(body)])
    const now = Date.now()
    const entry: StoredResponse = {
      v: 1,
      status: captured.status,
      headers: stored,
      ...encodeBody(body),
      createdAt: now,
      markers: [...markers],
    }
    if (typeof ttl === 'number') entry.expiresAt = now + ttl
    const own = vary.filter((name) => !this.#options.vary.includes(name))
    if (own.length > 0) {
      entry.vary = own
      entry.varyValues = own.map((name) => headerValue(this.#req.headers, name) ?? null)
    }
    return { entry, responseTtl: seconds === undefined ? undefined : seconds * 1000 }
  }

  // ---- responses -----------------------------------------------------------------------------

  /** Answers from a stored response: 304 when the request's validators match, else the stored status, headers and body. */
  #replay(entry: StoredResponse): void {
    const res = this.#res
    this.#mark('HIT')
    const age = String(Math.max(0, Math.floor((Date.now() - entry.createdAt) / 1000)))
    const etag = storedHeader(entry, 'etag')
    if (
      entry.status === 200 &&
      isNotModified(this.#req.headers, etag, storedHeader(entry, 'last-modified'), entry.createdAt)
    ) {
      res.statusCode = 304
      for (const [name, value] of entry.headers)
        if (NOT_MODIFIED_HEADERS.has(name)) res.setHeader(name, value)
      res.setHeader('Age', age)
      res.end()
      return
    }
    const body = decodeBody(entry)
    res.statusCode = entry.status
    for (const [name, value] of entry.headers) res.setHeader(name, value)
    res.setHeader('Content-Length', body.length)
    res.setHeader('Age', age)
    if (this.#req.method === 'HEAD') res.end()
    else res.end(body)
  }

  #bypass(): void {
    this.#res.setHeader('X-Cache', 'BYPASS')
    this.#context.status = 'BYPASS'
    this.#pass()
  }

  #mark(status: 'HIT' | 'MISS'): void {
    this.#context.status = status
    this.#res.setHeader('X-Cache', status)
  }

  #pass(): void {
    if (this.#passed) return
    this.#passed = true
    this.#next()
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Requests that never touch the cache: `Authorization` (unless allowed), `Cache-Control: no-store`, `Range`. */
  #bypasses(): boolean {
    const req = this.#req
    if (req.headers.authorization !== undefined && !this.#options.cacheAuthorized) return true
    if (req.headers.range !== undefined) return true
    return this.#options.requestCacheControl && requestDirectives(req).noStore
  }

  /** The request's key, and starts reading its markers' versions; `undefined` = bypass. */
  #keyOf(): RequestKey | undefined {
    const req = this.#req
    const options = this.#options
    let custom: string | undefined
    let tags: readonly string[] | undefined
    try {
      if (options.key !== undefined) {
        const key = options.key(req)
        if (key === null || key === undefined) return undefined
        if (typeof key !== 'string')
          throw new TypeError(`cacheResponse: key() returned ${typeof key}, not a string`)
        custom = key
      }
      tags = typeof options.tags === 'function' ? options.tags(req) : options.tags
      if (tags !== undefined && !Array.isArray(tags))
        throw new TypeError('cacheResponse: tags() must return an array')
    } catch (error) {
      this.#report(error)
      return undefined
    }
    const key = requestKey(req.originalUrl ?? req.url, req.headers, options.vary, custom)
    this.#known = [
      ...new Set([Markers.path(key.path), Markers.resource(key.resource), ...(tags ?? []).map(Markers.tag)]),
    ]
    this.#versions = this.#markers.read(this.#known).catch((error: unknown) => {
      this.#report(error)
      return undefined
    })
    return key
  }

  #baseTarget(): string {
    return `${this.#options.namespace}:${(this.#key as RequestKey).key}`
  }

  /** Where the variant of a response that varies on `names` lives for this request's values of them. */
  #variantKey(names: readonly string[], values: readonly (string | null)[]): string {
    const digest = createHash('sha1')
      .update(JSON.stringify([names, values]))
      .digest('base64url')
      .slice(0, 16)
    return `${this.#baseTarget()}#${digest}`
  }

  /** After a successful write, invalidates its path before the response completes (read-your-writes). */
  #invalidateOnSuccess(): void {
    const res = this.#res
    const end = res.end as unknown as (...args: unknown[]) => unknown
    const path = normalizeTarget(this.#req.originalUrl ?? this.#req.url).path
    let done = false
    res.end = ((...args: unknown[]) => {
      if (done || res.statusCode < 200 || res.statusCode > 299) return end.apply(res, args)
      done = true
      this.#markers
        .invalidate(path)
        .catch((error: unknown) => this.#report(error))
        .finally(() => end.apply(res, args))
      return res
    }) as unknown as Response['end']
  }

  #getOrSetOptions(): GetOrSetOptions {
    const { ttl, lockTtl, waitTimeout } = this.#options
    return { ttl, lockTtl, waitTimeout }
  }

  #report(error: unknown): void {
    const onError = this.#options.onError
    if (onError === undefined) return
    try {
      onError(error, this.#req)
    } catch {
      // A throwing onError must not break the response.
    }
  }
}

/** The request's own cache directives (`Pragma: no-cache` counts when there is no `Cache-Control`). */
function requestDirectives(req: Request): { noCache: boolean; noStore: boolean } {
  const header = req.headers['cache-control']
  if (header === undefined) {
    const pragma = headerValue(req.headers, 'pragma')
    return { noCache: pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma), noStore: false }
  }
  const directives = parseCacheControl(header)
  return { noCache: directives.has('no-cache'), noStore: directives.has('no-store') }
}

/** Lower-cased names of a response `Vary` header. */
function varyNames(header: string | number | string[] | undefined): string[] {
  if (header === undefined) return []
  const text = Array.isArray(header) ? header.join(',') : String(header)
  return [
    ...new Set(
      text
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== ''),
    ),
  ]
}

/** `res.locals.cacheTags`: a string or an array of strings. */
function localsTags(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (Array.isArray(value)) return value.filter((tag): tag is string => typeof tag === 'string' && tag !== '')
  return []
}
