import { EventEmitter } from 'node:events'
import {
  type Cache,
  type CacheOptions,
  createCache,
  escapeGlob,
  isRediskitError,
  type Logger,
  RediskitError,
} from '@rediskit/core'
import { describeCapabilities, type KeyvRediskitCapabilities } from './capabilities.js'
import { isCache } from './is-cache.js'
import { keyvSerializer } from './keyv-serializer.js'

/** The Keyv major an adapter serves: they differ in key prefixing, TTLs and batch results. */
export type KeyvMajor = 5 | 6

/** Options of the adapter itself (what applies whether it creates its cache or is given one). */
export interface KeyvAdapterOptions {
  /**
   * The namespace keys are stored under (`namespace:key`), and the only keys `clear()` removes.
   * Keyv sets it on the adapter when the Keyv instance has one (keyv 5 always does: its default
   * is `'keyv'`); under keyv 6 this is the namespace when the Keyv instance has none. Default none.
   */
  namespace?: string | undefined
  /**
   * Which Keyv major drives the adapter. `'auto'` (default): keyv 6 reads the adapter's
   * `capabilities` when it takes the adapter, keyv 5 never does, so the first Keyv to use the
   * adapter decides. Give `5` or `6` to pin it (`createKeyv` does).
   */
  keyvVersion?: 'auto' | KeyvMajor | undefined
  /** Log the Redis failures the adapter turns into Keyv's fallbacks (keyv 5), with `logger.error`. Default true. */
  logErrors?: boolean | undefined
  /** Where those logs go: anything with error/warn/debug. Default `console`. */
  logger?: Logger | undefined
}

/**
 * Options of an adapter that creates its own cache: every `createCache` option (where Redis is,
 * topology, serializer, compressor, `commandTimeout`...) plus the adapter's own. The adapter owns
 * that cache's error policy, so `handleErrors` is not an option here.
 */
export interface KeyvRediskitOptions
  extends Omit<CacheOptions, 'handleErrors' | 'logErrors' | 'logger'>,
    KeyvAdapterOptions {}

/** What a `KeyvRediskit` is built from: a location, an existing cache, or options. */
export type KeyvRediskitSource = string | readonly string[] | Cache | KeyvRediskitOptions

/** An entry of `setMany`: keyv 5 gives a relative `ttl` (ms), keyv 6 an absolute `expires` (epoch ms). */
export interface KeyvRediskitEntry {
  key: string
  value: unknown
  ttl?: number | undefined
  expires?: number | undefined
}

/** The adapter's `opts`, which keyv 5 reads (`dialect: 'redis'` makes Keyv's `iterator()` available). */
export interface KeyvRediskitOpts {
  dialect: 'redis'
  [option: string]: unknown
}

const MODES: ReadonlySet<unknown> = new Set(['auto', 5, 6, undefined])
const USAGE_CODES: ReadonlySet<string> = new Set(['E_CONFIG', 'E_ENCODE', 'E_CLOSED'])
const ITERATOR_BATCH = 100
/** A TTL that has already run out: the key is removed, nothing stored. */
const EXPIRED = -1

/**
 * A Keyv storage adapter over a rediskit {@link Cache}: every rediskit topology (standalone,
 * replicas, sentinel, sharded, cluster), codec, deadline and error policy, behind the interface
 * Keyv 5 and Keyv 6 (and so cache-manager, cacheable, NestJS) expect.
 *
 * ```ts
 * new Keyv(new KeyvRediskit('redis://127.0.0.1:6379'))        // the adapter creates (and owns) a cache
 * new Keyv(new KeyvRediskit({ location, commandTimeout: 200 }))
 * new Keyv(new KeyvRediskit(cache))                            // yours: never closed by the adapter
 * ```
 *
 * Keys: under keyv 5 Keyv prefixes keys itself (`namespace:key`) and the adapter stores them as
 * given; under keyv 6 the adapter prefixes them (`namespace:key`), so both majors lay keys out the
 * same way, with no double prefix. `clear()` removes only the namespace's keys (SCAN + UNLINK), or
 * with no namespace only the cache's keys; never FLUSHDB.
 *
 * Failures: no call waits longer than the cache's `commandTimeout`. Under keyv 5 a Redis failure
 * is emitted as 'error' (Keyv forwards it), logged, and turned into Keyv's fallback (a miss,
 * `false`, an empty iteration); under keyv 6 it is thrown to Keyv, which emits 'error' and falls
 * back itself. Usage errors (`E_CONFIG`, `E_ENCODE`, `E_CLOSED`) are always thrown.
 */
export class KeyvRediskit extends EventEmitter {
  /** Read by keyv 5 (`dialect` enables its iterator); other keys may be set freely. No credentials. */
  readonly opts: KeyvRediskitOpts = { dialect: 'redis' }
  readonly #cache: Cache
  readonly #owned: boolean
  readonly #logErrors: boolean
  readonly #logger: Logger
  #major: KeyvMajor | undefined
  #namespace: string | undefined
  #capabilities: KeyvRediskitCapabilities | undefined

  /** Creates (and owns) a cache for the Redis at `location`. */
  constructor(location: string | readonly string[], options?: Omit<KeyvRediskitOptions, 'location'>)
  /** Uses your cache; `disconnect()` never closes it. */
  constructor(cache: Cache, options?: KeyvAdapterOptions)
  /** Creates (and owns) a cache from `createCache` options; with none, the in-process memory store. */
  constructor(options?: KeyvRediskitOptions)
  /** Any of the above (for code that forwards a source it was given). */
  constructor(source?: KeyvRediskitSource, options?: KeyvRediskitOptions)
  constructor(source?: KeyvRediskitSource, options?: KeyvRediskitOptions) {
    const given = isCache(source)
    const merged: KeyvRediskitOptions = given
      ? { ...options }
      : typeof source === 'string' || Array.isArray(source)
        ? { ...options, location: source as string | readonly string[] }
        : { ...(source as KeyvRediskitOptions | undefined), ...options }
    super()
    const logger = merged.logger ?? console
    const { namespace, keyvVersion, logErrors } = merged
    if (!MODES.has(keyvVersion)) throw configError('keyvVersion', "must be 'auto', 5 or 6")
    if (namespace !== undefined && typeof namespace !== 'string') {
      throw configError('namespace', 'must be a string')
    }
    if (logErrors !== undefined && typeof logErrors !== 'boolean') {
      throw configError('logErrors', 'must be true or false')
    }
    this.#logger = logger
    this.#logErrors = logErrors ?? true
    this.#namespace = namespace
    this.#major = keyvVersion === 5 || keyvVersion === 6 ? keyvVersion : undefined
    this.#owned = !given
    this.#cache = given ? (source as Cache) : ownCache(merged, this.#logErrors, logger)
    if (this.#owned) {
      // Values that do not decode are misses, reported by the cache as events only: pass them on.
      this.#cache.on('error', (error) => {
        if (error.code === 'E_DECODE') this.#emitError(error)
      })
    }
  }

  /** The listeners of `eventName` (typed as functions, as Keyv 6's event-emitter type wants). */
  override listeners(eventName: string | symbol): ((...args: unknown[]) => void)[] {
    return super.listeners(eventName) as ((...args: unknown[]) => void)[]
  }

  /** Like {@link listeners}, including `once` wrappers. */
  override rawListeners(eventName: string | symbol): ((...args: unknown[]) => void)[] {
    return super.rawListeners(eventName) as ((...args: unknown[]) => void)[]
  }

  /** The rediskit cache under the adapter (for stats, events, or rediskit's own API). */
  get cache(): Cache {
    return this.#cache
  }

  /** The namespace keys live under; Keyv sets it. `undefined` = no namespace. */
  get namespace(): string | undefined {
    return this.#namespace
  }

  set namespace(namespace: string | undefined) {
    this.#namespace = namespace
  }

  /** The Keyv major the adapter serves: pinned, or detected at first use (`undefined` until then). */
  get keyvVersion(): KeyvMajor | undefined {
    return this.#major
  }

  /**
   * Keyv 6's storage capabilities with `expires: true`: Keyv 6 uses the adapter directly, with
   * absolute expiries and unprefixed keys. Keyv 6 reads this when it takes the adapter, which in
   * `'auto'` mode is how the adapter learns it serves keyv 6.
   */
  get capabilities(): KeyvRediskitCapabilities {
    this.#major ??= 6
    this.#capabilities ??= describeCapabilities(this)
    return this.#capabilities
  }

  /** The value stored at `key` (a string Keyv serialized, or what the cache decoded); `undefined` on a miss. */
  async get<Value = unknown>(key: string): Promise<Value | undefined> {
    const major = this.#mode()
    try {
      return await this.#cache.get<Value>(this.#key(key, major))
    } catch (error) {
      return this.#fail(error, major, undefined)
    }
  }

  /** Values aligned with `keys`, `undefined` for misses; one round trip per node. */
  async getMany<Value = unknown>(keys: readonly string[]): Promise<(Value | undefined)[]> {
    const major = this.#mode()
    try {
      return await this.#cache.getMany<Value>(this.#keys(keys, major))
    } catch (error) {
      return this.#fail(
        error,
        major,
        keys.map(() => undefined),
      )
    }
  }

  /**
   * Stores `value`. The third argument is keyv 5's relative TTL in ms (`0` or none: no expiry of
   * its own) or keyv 6's absolute expiry in epoch ms. Without one the cache's default `ttl` applies
   * (none unless you set it). An expiry already past removes the key. `true` if written.
   */
  async set(key: string, value: unknown, ttlOrExpires?: number): Promise<boolean> {
    const major = this.#mode()
    try {
      const full = this.#key(key, major)
      const ttl = toTtl(ttlOrExpires, major)
      if (ttl === EXPIRED) {
        await this.#cache.delete(full)
        return true
      }
      return await this.#cache.set(full, value, ttl)
    } catch (error) {
      return this.#fail(error, major, false)
    }
  }

  /** Stores every entry (grouped by TTL, one round trip per node and TTL); one boolean per entry. */
  setMany(entries: readonly KeyvRediskitEntry[]): Promise<boolean[]>
  /** Keyv 5's declared signature (it returns the booleans too). */
  setMany(entries: readonly KeyvRediskitEntry[]): Promise<void>
  // biome-ignore lint/suspicious/noConfusingVoidType: the implementation must cover keyv 5's `Promise<void>` overload
  async setMany(entries: readonly KeyvRediskitEntry[]): Promise<boolean[] | void> {
    const major = this.#mode()
    try {
      const results = new Array<boolean>(entries.length).fill(true)
      const groups = new Map<number | undefined, { indexes: number[]; list: [string, unknown][] }>()
      const expired: string[] = []
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as KeyvRediskitEntry
        const full = this.#key(entry.key, major)
        const ttl = toTtl(major === 6 ? entry.expires : entry.ttl, major)
        if (ttl === EXPIRED) {
          expired.push(full)
          continue
        }
        let group = groups.get(ttl)
        if (group === undefined) {
          group = { indexes: [], list: [] }
          groups.set(ttl, group)
        }
        group.indexes.push(i)
        group.list.push([full, entry.value])
      }
      const writes: Promise<unknown>[] = []
      if (expired.length > 0) writes.push(this.#cache.deleteMany(expired))
      for (const [ttl, group] of groups) {
        writes.push(
          this.#cache.setMany(group.list, ttl).then((written) => {
            if (!written) for (const i of group.indexes) results[i] = false
          }),
        )
      }
      await Promise.all(writes)
      return results
    } catch (error) {
      return this.#fail(
        error,
        major,
        entries.map(() => false),
      )
    }
  }

  /** Removes `key`; `true` if it existed. */
  async delete(key: string): Promise<boolean> {
    const major = this.#mode()
    try {
      return await this.#cache.delete(this.#key(key, major))
    } catch (error) {
      return this.#fail(error, major, false)
    }
  }

  /** Keyv 6: one boolean per key (`true` if it existed). */
  deleteMany(keys: readonly string[]): Promise<boolean[]>
  /** Keyv 5: `true` if any key existed. */
  deleteMany(keys: readonly string[]): Promise<boolean>
  async deleteMany(keys: readonly string[]): Promise<boolean[] | boolean> {
    const major = this.#mode()
    try {
      const fulls = this.#keys(keys, major)
      if (major === 6) return await Promise.all(fulls.map((full) => this.#cache.delete(full)))
      return (await this.#cache.deleteMany(fulls)) > 0
    } catch (error) {
      return this.#fail<boolean[] | boolean>(error, major, false)
    }
  }

  /** `true` if `key` exists (EXISTS; the value is not fetched). */
  async has(key: string): Promise<boolean> {
    const major = this.#mode()
    try {
      return await this.#cache.has(this.#key(key, major))
    } catch (error) {
      return this.#fail(error, major, false)
    }
  }

  /** One boolean per key, all sent in one go. */
  async hasMany(keys: readonly string[]): Promise<boolean[]> {
    const major = this.#mode()
    try {
      const fulls = this.#keys(keys, major)
      return await Promise.all(fulls.map((full) => this.#cache.has(full)))
    } catch (error) {
      return this.#fail(
        error,
        major,
        keys.map(() => false),
      )
    }
  }

  /**
   * Removes the namespace's keys (SCAN + UNLINK in batches), or with no namespace every key of the
   * cache (`cache.clear()`: only its prefix). Never FLUSHDB.
   */
  async clear(): Promise<void> {
    const major = this.#mode()
    const namespace = this.#namespace
    try {
      if (namespace === undefined || namespace === '') await this.#cache.clear()
      else await this.#cache.deletePattern(`${escapeGlob(namespace)}:*`)
    } catch (error) {
      this.#fail(error, major, undefined)
    }
  }

  /**
   * `[key, value]` for every key of the namespace (`namespace`, as keyv 5 passes it, or the
   * adapter's), walking the cache with SCAN and reading values in batches. Keyv 5 gets the stored
   * (prefixed) keys and strips the prefix itself; keyv 6 calls it without an argument and gets the
   * keys without the prefix.
   */
  async *iterator<Value = unknown>(namespace?: string): AsyncGenerator<[string, Value], void, undefined> {
    const major = this.#mode()
    const ns = namespace ?? this.#namespace
    const prefix = ns === undefined || ns === '' ? '' : `${ns}:`
    const strip = major === 6 ? prefix.length : 0
    let batch: string[] = []
    try {
      for await (const key of this.#cache.scan(`${escapeGlob(prefix)}*`, { count: ITERATOR_BATCH })) {
        batch.push(key)
        if (batch.length >= ITERATOR_BATCH) {
          const keys = batch
          batch = []
          yield* this.#entries<Value>(keys, strip)
        }
      }
      if (batch.length > 0) yield* this.#entries<Value>(batch, strip)
    } catch (error) {
      this.#fail(error, major, undefined)
    }
  }

  /** Closes the cache if the adapter created it; a cache you passed in stays open. */
  async disconnect(): Promise<void> {
    if (!this.#owned) return
    try {
      await this.#cache.close()
    } catch (error) {
      this.#fail(error, this.#mode(), undefined)
    }
  }

  async *#entries<Value>(keys: string[], strip: number): AsyncGenerator<[string, Value], void, undefined> {
    const values = await this.#cache.getMany<Value>(keys)
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]
      if (value !== undefined) yield [(keys[i] as string).slice(strip), value]
    }
  }

  /**
   * Emits 'error' (Keyv forwards it to its own listeners). Unlike a bare EventEmitter, an 'error'
   * nobody listens to is dropped (failures are logged anyway) and a listener that throws does not
   * break the operation: its exception goes to the logger.
   */
  #emitError(error: RediskitError): void {
    if (this.listenerCount('error') === 0) return
    try {
      this.emit('error', error)
    } catch (thrown) {
      try {
        this.#logger.error("@rediskit/keyv: an 'error' listener threw", thrown)
      } catch {
        // A broken logger must not break the operation either.
      }
    }
  }

  #mode(): KeyvMajor {
    this.#major ??= 5
    return this.#major
  }

  #key(key: string, major: KeyvMajor): string {
    if (typeof key !== 'string') throw configError('key', `keys are strings, got ${typeof key}`)
    const namespace = this.#namespace
    return major === 6 && namespace !== undefined && namespace !== '' ? `${namespace}:${key}` : key
  }

  #keys(keys: readonly string[], major: KeyvMajor): string[] {
    if (!Array.isArray(keys)) throw configError('keys', 'must be an array of strings')
    return keys.map((key) => this.#key(key, major))
  }

  /**
   * The failure policy: usage errors and everything under keyv 6 (which catches, emits and falls
   * back itself) are thrown; under keyv 5 the failure is emitted as 'error', logged, and `fallback`
   * returned, because keyv 5 lets some store rejections (getMany, has, iterator) reach the caller.
   */
  #fail<T>(error: unknown, major: KeyvMajor, fallback: T): T {
    if (major === 6 || !isRediskitError(error) || USAGE_CODES.has(error.code)) throw error
    this.#emitError(error)
    if (this.#logErrors) {
      try {
        this.#logger.error(`@rediskit/keyv: ${error.message}`, { code: error.code, op: error.details?.op })
      } catch {
        // A broken logger must not turn a handled failure into a thrown one.
      }
    }
    return fallback
  }
}

/** Keys as Keyv builds them, behind the cache prefix if there is one (no version: Keyv has none). */
function plainKey(key: string, prefix: string): string {
  return prefix === '' ? key : `${prefix}:${key}`
}

function ownCache(options: KeyvRediskitOptions, logErrors: boolean, logger: Logger): Cache {
  const {
    namespace: _namespace,
    keyvVersion: _keyvVersion,
    logErrors: _logErrors,
    logger: _logger,
    ...rest
  } = options
  return createCache({
    ...rest,
    serializer: rest.serializer ?? keyvSerializer({ framed: rest.compressor !== undefined }),
    keyFunction: rest.keyFunction ?? plainKey,
    handleErrors: false,
    logErrors,
    logger,
  })
}

/**
 * Keyv's TTL argument as the cache's: ms to live, `undefined` (none: the cache's default), or
 * {@link EXPIRED}. Keyv 5: a relative TTL, where 0 means none. Keyv 6: an absolute expiry.
 */
function toTtl(value: number | undefined, major: KeyvMajor): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  if (major === 5) {
    if (value === 0) return undefined
    return value < 0 ? EXPIRED : value
  }
  const left = value - Date.now()
  return left <= 0 ? EXPIRED : left
}

function configError(option: string, problem: string): RediskitError {
  return new RediskitError('E_CONFIG', `KeyvRediskit: invalid option ${option}: ${problem}`, {
    details: { option },
  })
}
