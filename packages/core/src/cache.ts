import { randomUUID } from 'node:crypto'
import { toCacheError } from './cache-error.js'
import type { CircuitChange } from './circuit-breaker.js'
import { Deadlines, withDeadline } from './deadline.js'
import type { Envelope } from './envelope.js'
import { isRediskitError, RediskitError } from './errors.js'
import { type CacheEvent, type CacheEvents, Emitter } from './events.js'
import { KeyBuilder, type KeyFunction, type KeyPattern } from './keys.js'
import { Lock, type LockOptions } from './lock.js'
import { redact } from './redact.js'
import { SingleFlight } from './single-flight.js'
import { type CacheStats, Stats } from './stats.js'
import { parseTtl, resolveTtl } from './ttl.js'
import type { Logger, Store, StoreSetOptions, Ttl } from './types.js'

/** Everything a {@link Cache} runs on, resolved and validated (see `createCache`). */
export interface CacheSetup {
  store: Store
  /** True when the cache created the store (then `close()` closes it). */
  ownsStore: boolean
  prefix: string
  version: number
  /** `undefined` = the default `${prefix}:${version}:${key}`. */
  keyFunction: KeyFunction | undefined
  envelope: Envelope
  /** The default TTL in ms; `null` = no expiry. */
  defaultTtl: number | null
  handleErrors: boolean
  logErrors: boolean
  logger: Logger
  commandTimeout: number
  /** Strings that must never appear in messages or logs (passwords). */
  secrets: readonly string[]
  /** TTL jitter: each stored TTL is spread by +-`jitter` (0.1 = +-10%). Default 0. */
  jitter?: number | undefined
}

/** `{ version }`: act on the value stored under another version of the key than the cache's. */
export interface VersionOption {
  version?: number | undefined
}

/** Options of {@link Cache.set}. */
export interface SetOptions extends VersionOption {
  /** `undefined` = the cache's default TTL; `null` = never expires; `<= 0` = remove the key. */
  ttl?: Ttl | undefined
  /** Only write if the key does not exist (SET NX). */
  nx?: boolean | undefined
  /** Only write if the key exists (SET XX). */
  xx?: boolean | undefined
  /** Keep the key's current TTL (SET KEEPTTL); excludes `ttl`. */
  keepTtl?: boolean | undefined
}

/** Options of writes that take a TTL and a version (`add`, `setMany`). */
export interface WriteOptions extends VersionOption {
  ttl?: Ttl | undefined
}

/** Options of {@link Cache.getOrSet}. */
export interface GetOrSetOptions extends VersionOption {
  /** TTL of the computed value (default: the cache's default TTL). */
  ttl?: Ttl | undefined
  /**
   * Keep values this long past their TTL. A call that finds a value past its TTL (but within
   * grace) returns it at once and refreshes it in the background (one refresh across processes);
   * if the factory fails, the stale value stays served until the grace period ends
   * (stale-if-error). Default: none. Needs a TTL.
   */
  grace?: Ttl | undefined
  /**
   * The cross-process lease (SET NX PX) that lets one process compute a missing value while the
   * others wait for it: how long the holder may compute before another caller takes over.
   * Default 5 s; `null` or `0` = no lease (in-process single-flight only).
   */
  lockTtl?: Ttl | undefined
  /**
   * How long a caller waits for another process's lease holder before computing the value itself.
   * Default: twice `lockTtl` (so a holder that died is replaced when its lease expires).
   */
  waitTimeout?: Ttl | undefined
}

/** The resolved options of one getOrSet call. */
interface ComputePlan {
  /** ms; `null` = no expiry. */
  ttl: number | null
  /** ms past the TTL a value is kept (0 = no grace). */
  grace: number
  /** ms; 0 = no cross-process lease. */
  lockTtl: number
  waitTimeout: number
}

/** Options of `scan`, `keys`, `deletePattern` and `reencode`. */
export interface ScanOptions extends VersionOption {
  /** A hint for how many keys one SCAN step looks at. */
  count?: number | undefined
}

/** Options of {@link Cache.clear}. */
export interface ClearOptions {
  /** Only this version's keys (default: every version of this cache's keys). */
  version?: number | undefined
  /** FLUSHDB: everything in the store's database(s), not only this cache's keys. */
  flush?: boolean | undefined
}

/** Entries for {@link Cache.setMany}: an object, a Map, or `[key, value]` pairs. */
export type Entries =
  | Readonly<Record<string, unknown>>
  | ReadonlyMap<string, unknown>
  | Iterable<readonly [string, unknown]>

const DEFAULT_SCAN_COUNT = 100
const DEFAULT_DELETE_COUNT = 1000
/** getOrSet's default lease TTL (ms). */
export const DEFAULT_LOCK_TTL = 5000
/** `cache.lock()` defaults (ms). */
const DEFAULT_LOCK_HOLD = 10_000
const DEFAULT_LOCK_RETRY = 50
/** Waiters for another process's lease poll for the value at this interval, doubling up to the max. */
const POLL_FIRST = 5
const POLL_MAX = 100
/** setMany with jitter spreads its entries over at most this many TTLs (one store call each). */
const JITTER_BUCKETS = 16

/**
 * The cache: key building, value encoding, TTL semantics, the error policy, events and stats,
 * over a {@link Store}. Create one with `createCache()`; every method is async.
 *
 * Error policy: every store call runs under a `commandTimeout` deadline (`E_TIMEOUT`) and every
 * failure passes through one place: counted in `stats().errors`, emitted as an 'error' event, then
 * with `handleErrors: true` logged (when `logErrors`) and turned into a miss / `false` / `0`,
 * otherwise thrown to the caller. Usage errors (`E_CONFIG`, `E_ENCODE`, `E_CLOSED`) always throw.
 */
export class Cache {
  /** The key prefix of this cache (a namespace's is `${parent.prefix}:${name}`). */
  readonly prefix: string
  /** The version written into keys by default. */
  readonly version: number
  readonly #setup: CacheSetup
  readonly #store: Store
  readonly #keys: KeyBuilder
  readonly #envelope: Envelope
  readonly #defaultTtl: number | null
  readonly #timeout: number
  readonly #deadlines: Deadlines
  readonly #events: Emitter
  readonly #stats = new Stats()
  readonly #flight = new SingleFlight<unknown>()
  readonly #refreshing = new Set<string>()
  /** getOrSet's options when none are given (shared: never mutated). */
  readonly #defaultPlan: ComputePlan
  readonly #leaseKeys: KeyBuilder
  readonly #jitter: number
  readonly #parent: Cache | undefined
  #unsubscribe: (() => void) | undefined
  #closing: Promise<void> | undefined

  /** @internal Use `createCache()`. */
  constructor(setup: CacheSetup, parent?: Cache) {
    this.#setup = setup
    this.prefix = setup.prefix
    this.version = setup.version
    this.#store = setup.store
    this.#keys = new KeyBuilder(setup.prefix, setup.version, setup.keyFunction)
    this.#envelope = setup.envelope
    this.#defaultTtl = setup.defaultTtl
    this.#timeout = setup.commandTimeout
    this.#parent = parent
    this.#deadlines = parent === undefined ? new Deadlines(setup.commandTimeout) : parent.#deadlines
    this.#events = new Emitter((error) => {
      setup.logger.error('rediskit: a cache event listener threw', error)
    })
    this.#jitter = setup.jitter ?? 0
    this.#defaultPlan = Object.freeze({
      ttl: setup.defaultTtl,
      grace: 0,
      lockTtl: DEFAULT_LOCK_TTL,
      waitTimeout: 2 * DEFAULT_LOCK_TTL,
    })
    // Leases live beside the values (same hash tag), outside the cache's own key space.
    this.#leaseKeys = new KeyBuilder(`${setup.prefix}:__lease__`, setup.version, setup.keyFunction)
    if (parent === undefined && typeof setup.store.onCircuitChange === 'function') {
      this.#unsubscribe = setup.store.onCircuitChange((change) => this.#onCircuit(change))
    }
  }

  /** The store under this cache ('redis' | 'memory' | 'null' | ...). */
  get store(): Store {
    return this.#store
  }

  /** The underlying client(s) of the store (the ioredis instance for Redis), like django-redis's get_redis_connection. */
  get client(): unknown {
    return this.#store.client
  }

  /** True once `close()` was called on this cache or on the cache it is a namespace of. */
  get closed(): boolean {
    return this.#closing !== undefined || (this.#parent?.closed ?? false)
  }

  /** The stored key of `key` (with the prefix and version applied). */
  makeKey(key: string, options?: VersionOption): string {
    return this.#key(key, options?.version)
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** The value of `key`, or `undefined` when it is missing, expired or does not decode. */
  get<T = unknown>(key: string, options?: VersionOption): Promise<T | undefined> {
    let full: string
    try {
      full = this.#key(key, options?.version)
    } catch (error) {
      return Promise.reject(error)
    }
    const started = performance.now()
    return this.#readOne(
      full,
      'get',
      key,
      started,
      (data) => this.#gotOne(data, key, started),
      (error) => this.#getFailed(error, key, started),
    ) as Promise<T | undefined>
  }

  /**
   * One key's read under the deadline, continued by `onValue` / `onError` in one promise. With a
   * store that has `getWith` (RedisStore) no other promise is made: the hot path of get/getOrSet.
   */
  #readOne<R>(
    full: string,
    op: string,
    key: string,
    started: number,
    onValue: (data: Buffer | undefined) => R,
    onError: (error: unknown) => R,
  ): Promise<R> {
    const store = this.#store
    const getWith = store.getWith
    if (getWith === undefined) {
      let call: Promise<Buffer | undefined>
      try {
        call = store.get(full)
      } catch (error) {
        call = Promise.reject(error)
      }
      return this.#within(call, op, key, started, onValue, onError)
    }
    return new Promise<R>((resolve, reject) => {
      const fail = (error: unknown): void => {
        try {
          resolve(onError(error))
        } catch (thrown) {
          reject(thrown)
        }
      }
      const ticket = this.#deadlines.begin(fail, op, key, started)
      try {
        getWith.call(
          store,
          full,
          (data) => {
            if (!this.#deadlines.end(ticket)) return
            try {
              resolve(onValue(data))
            } catch (thrown) {
              reject(thrown)
            }
          },
          (error) => {
            if (this.#deadlines.end(ticket)) fail(error)
          },
        )
      } catch (error) {
        if (this.#deadlines.end(ticket)) fail(error)
      }
    })
  }

  #gotOne(data: Buffer | undefined, key: string, started: number): unknown {
    this.#stats.record('get', performance.now() - started)
    return this.#read(data, key, false)
  }

  #getFailed(error: unknown, key: string, started: number): undefined {
    this.#stats.record('get', performance.now() - started)
    this.#fail(error, 'get', key)
    return undefined
  }

  /** Values aligned with `keys`; `undefined` for misses. One round trip per node. */
  async getMany<T = unknown>(keys: readonly string[], options?: VersionOption): Promise<(T | undefined)[]> {
    const fulls = this.#keyList(keys, options?.version)
    const started = performance.now()
    let data: (Buffer | undefined)[]
    try {
      data = await this.#deadlines.track(this.#store.getMany(fulls), 'getMany', undefined, started)
      this.#stats.record('getMany', performance.now() - started)
    } catch (error) {
      this.#stats.record('getMany', performance.now() - started)
      this.#fail(error, 'getMany', undefined)
      // Some nodes answered (a multi-node topology with one node down): serve what they gave.
      const partial = isRediskitError(error) ? error.partial : undefined
      if (partial === undefined || partial.length !== keys.length) {
        return new Array<T | undefined>(keys.length).fill(undefined)
      }
      data = partial as (Buffer | undefined)[]
    }
    const out = new Array<T | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      out[i] = this.#read(data[i], keys[i] as string, false) as T | undefined
    }
    return out
  }

  /** True if `key` exists (EXISTS; the value is not fetched). */
  has(key: string, options?: VersionOption): Promise<boolean> {
    try {
      return this.#run('has', key, this.#store.has(this.#key(key, options?.version)), false)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Milliseconds left; `null` = no expiry; `undefined` = missing. */
  ttl(key: string, options?: VersionOption): Promise<number | null | undefined> {
    try {
      return this.#run('ttl', key, this.#store.ttl(this.#key(key, options?.version)), undefined)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  /**
   * Stores `value`. The third argument is a TTL or `{ ttl, nx, xx, keepTtl, version }`. Returns
   * `true` if written; `false` when nx/xx prevented it, when the TTL is `<= 0` (the key is removed
   * and nothing stored), or when `handleErrors` swallowed a failure.
   */
  set(key: string, value: unknown, ttlOrOptions?: Ttl | SetOptions): Promise<boolean> {
    try {
      if (ttlOrOptions === null || typeof ttlOrOptions !== 'object') {
        const ms = resolveTtl(ttlOrOptions, this.#defaultTtl)
        return this.#write('set', key, this.#key(key, undefined), value, ms, false, false, false)
      }
      const { ttl, nx = false, xx = false, keepTtl = false, version } = ttlOrOptions
      const full = this.#key(key, version)
      if (nx && xx) throw configError('set: nx and xx exclude each other', 'nx')
      if (keepTtl && ttl !== undefined)
        throw configError('set: keepTtl and ttl exclude each other', 'keepTtl')
      const ms = keepTtl ? null : resolveTtl(ttl, this.#defaultTtl)
      return this.#write('set', key, full, value, ms, nx, xx, keepTtl)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Stores `value` only if `key` does not exist (Django's add). `true` if written. */
  add(key: string, value: unknown, ttlOrOptions?: Ttl | WriteOptions): Promise<boolean> {
    try {
      const options = ttlOrOptions !== null && typeof ttlOrOptions === 'object' ? ttlOrOptions : undefined
      const ttl = options === undefined ? (ttlOrOptions as Ttl | undefined) : options.ttl
      const full = this.#key(key, options?.version)
      return this.#write('add', key, full, value, resolveTtl(ttl, this.#defaultTtl), true, false, false)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Stores every entry (an object, a Map or `[key, value]` pairs) with one TTL, one round trip per
   * node. `true` if written; `false` when the TTL is `<= 0` (the keys are removed) or a failure was
   * swallowed.
   */
  async setMany(entries: Entries, ttlOrOptions?: Ttl | WriteOptions): Promise<boolean> {
    const options = ttlOrOptions !== null && typeof ttlOrOptions === 'object' ? ttlOrOptions : undefined
    const ttl = options === undefined ? (ttlOrOptions as Ttl | undefined) : options.ttl
    const list = toEntryList(entries)
    const version = options?.version
    const ms = resolveTtl(ttl, this.#defaultTtl)
    if (ms !== null && ms <= 0) {
      await this.deleteMany(
        list.map(([key]) => key),
        options,
      )
      return false
    }
    const encoded = new Array<readonly [string, Buffer]>(list.length)
    for (let i = 0; i < list.length; i++) {
      const [key, value] = list[i] as readonly [string, unknown]
      encoded[i] = [this.#key(key, version), this.#envelope.encode(value)]
    }
    if (encoded.length === 0) return true
    const ok = await this.#run('setMany', undefined, this.#storeMany(encoded, ms), FAILED)
    if (ok === FAILED) return false
    this.#stats.sets += list.length
    if (this.#events.has('set')) for (const [key] of list) this.#events.emit('set', key)
    return true
  }

  /** Removes `key`; `true` if it existed. */
  async delete(key: string, options?: VersionOption): Promise<boolean> {
    const full = this.#key(key, options?.version)
    const existed = await this.#run('delete', key, this.#store.delete(full), FAILED)
    if (existed === FAILED) return false
    if (existed === true) this.#stats.deletes++
    this.#events.emit('delete', key)
    return existed as boolean
  }

  /** Removes every key; returns how many existed. */
  async deleteMany(keys: readonly string[], options?: VersionOption): Promise<number> {
    const fulls = this.#keyList(keys, options?.version)
    if (fulls.length === 0) return 0
    const count = await this.#run('deleteMany', undefined, this.#store.deleteMany(fulls), FAILED)
    if (count === FAILED) return 0
    this.#stats.deletes += count as number
    if (this.#events.has('delete')) for (const key of keys) this.#events.emit('delete', key)
    return count as number
  }

  /**
   * Sets the TTL of an existing key: `null` removes its expiry, `<= 0` removes the key. `true` if
   * the key exists (existed).
   */
  async expire(key: string, ttl: Ttl, options?: VersionOption): Promise<boolean> {
    const full = this.#key(key, options?.version)
    return this.#retime('expire', key, full, parseTtl(ttl))
  }

  /** Makes an existing key expire at `at` (a Date or epoch ms); a past time removes it. `true` if the key exists. */
  async expireAt(key: string, at: Date | number, options?: VersionOption): Promise<boolean> {
    const full = this.#key(key, options?.version)
    const timestamp = at instanceof Date ? at.getTime() : at
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      throw configError(`expireAt: ${String(at)} is not a valid date or epoch-ms timestamp`, 'at')
    }
    return (await this.#run(
      'expireAt',
      key,
      this.#store.expireAt(full, Math.ceil(timestamp)),
      false,
    )) as boolean
  }

  /** Removes the expiry of an existing key. `true` if the key exists. */
  persist(key: string, options?: VersionOption): Promise<boolean> {
    try {
      return this.#run('persist', key, this.#store.persist(this.#key(key, options?.version)), false)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Resets the TTL of an existing key to `ttl` (default: the cache's default TTL). `true` if the key exists. */
  async touch(key: string, ttl?: Ttl, options?: VersionOption): Promise<boolean> {
    const full = this.#key(key, options?.version)
    return this.#retime('touch', key, full, this.#spread(resolveTtl(ttl, this.#defaultTtl)))
  }

  /**
   * Atomically adds `by` to the integer stored at `key` (INCRBY) and returns the new value. A
   * missing key starts at 0 (and gets no expiry); an existing key keeps its TTL. A value that is
   * not an integer fails with `E_REDIS` ("value is not an integer or out of range"). `undefined`
   * only when `handleErrors` swallowed a failure.
   */
  incr(key: string, by = 1, options?: VersionOption): Promise<number | undefined> {
    return this.#incr('incr', key, by, options)
  }

  /** `incr(key, -by)`. */
  decr(key: string, by = 1, options?: VersionOption): Promise<number | undefined> {
    return this.#incr('decr', key, -by, options)
  }

  // ---- getOrSet ------------------------------------------------------------------------------

  /**
   * The value of `key`; on a miss, `factory()`'s value, stored with `ttl` and returned.
   *
   * Stampede control (see the package README):
   * - concurrent calls for one key in this process share one read and one factory call;
   * - across processes, the caller that misses takes a lease (`lockTtl`); the others wait for its
   *   value (up to `waitTimeout`), then compute it themselves rather than hang;
   * - with `grace`, a value past its TTL is returned at once while one caller refreshes it in the
   *   background, and stays served when the factory fails (stale-if-error).
   *
   * A factory error reaches every caller waiting on it and is never cached. A factory result of
   * `undefined` is returned but not stored. With `handleErrors`, a failing store means the factory
   * is called and its value returned.
   */
  async getOrSet<T>(key: string, factory: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T> {
    const full = this.#key(key, options?.version)
    const pending = this.#flight.get(full)
    if (pending !== undefined) return pending as Promise<T>
    if (typeof factory !== 'function') throw configError('getOrSet: factory must be a function', 'factory')
    const plan = this.#plan(options)
    return this.#flight.run(full, () =>
      this.#getOrCompute(key, full, factory, plan, options?.version),
    ) as Promise<T>
  }

  #plan(options: GetOrSetOptions | undefined): ComputePlan {
    if (options === undefined) return this.#defaultPlan
    const ttl = resolveTtl(options.ttl, this.#defaultTtl)
    const grace = options.grace === undefined ? 0 : Math.max(0, parseTtl(options.grace, 'grace') ?? 0)
    const lockTtl =
      options.lockTtl === undefined
        ? DEFAULT_LOCK_TTL
        : Math.max(0, parseTtl(options.lockTtl, 'lockTtl') ?? 0)
    let waitTimeout = 2 * lockTtl
    if (options.waitTimeout !== undefined) {
      const parsed = parseTtl(options.waitTimeout, 'waitTimeout')
      if (parsed === null)
        throw configError('getOrSet: waitTimeout must be a duration, not null', 'waitTimeout')
      waitTimeout = Math.max(0, parsed)
    }
    return { ttl, grace: ttl === null ? 0 : grace, lockTtl, waitTimeout }
  }

  /** The read of getOrSet: a hit (or a stale value within grace) answers at once; a miss computes. */
  #getOrCompute<T>(
    key: string,
    full: string,
    factory: () => T | Promise<T>,
    plan: ComputePlan,
    version: number | undefined,
  ): Promise<T> {
    const started = performance.now()
    return this.#readOne<T | Promise<T>>(
      full,
      'getOrSet',
      key,
      started,
      (data) => {
        this.#stats.record('getOrSet', performance.now() - started)
        const cached = this.#read(data, key, plan.grace > 0)
        if (cached instanceof Stale) {
          this.#refreshInBackground(key, full, factory, plan, version)
          return cached.value as T
        }
        if (cached !== undefined) return cached as T
        return this.#miss(key, full, factory, plan, version, false)
      },
      (error) => {
        this.#stats.record('getOrSet', performance.now() - started)
        this.#fail(error, 'getOrSet', key)
        return this.#miss(key, full, factory, plan, version, true)
      },
    ) as Promise<T>
  }

  /** A miss: compute, with the cross-process lease unless the store is down or leases are off. */
  async #miss<T>(
    key: string,
    full: string,
    factory: () => T | Promise<T>,
    plan: ComputePlan,
    version: number | undefined,
    storeDown: boolean,
  ): Promise<T> {
    if (storeDown || plan.lockTtl === 0) return this.#computeAndStore(key, full, factory, plan, undefined)
    const lease = this.#leaseKeys.build(key, version)
    const outcome = await this.#awaitLease(key, full, lease, plan)
    if (outcome instanceof Found) return outcome.value as T
    return this.#computeAndStore(
      key,
      full,
      factory,
      plan,
      outcome === undefined ? undefined : { key: lease, token: outcome },
    )
  }

  /**
   * Takes the lease for computing `key`, or waits for whoever holds it. Resolves with the lease
   * token (compute now, holding it), a {@link Found} value (someone else computed it), or
   * `undefined` (compute without the lease: the wait timed out, or the store failed under
   * `handleErrors`).
   */
  async #awaitLease(
    key: string,
    full: string,
    lease: string,
    plan: ComputePlan,
  ): Promise<string | Found | undefined> {
    const token = randomUUID()
    let deadline: number | undefined
    let delay = POLL_FIRST
    for (;;) {
      let acquired: boolean
      try {
        acquired = await this.#deadlines.track(
          this.#store.acquireLease(lease, token, plan.lockTtl),
          'getOrSet',
          key,
        )
      } catch (error) {
        this.#fail(error, 'getOrSet', key)
        return undefined
      }
      if (acquired) {
        // The previous holder may have stored the value and released the lease since our read.
        const found = await this.#peek(key, full)
        if (found === FAILED) return token
        if (found !== undefined) {
          this.#releaseQuietly(key, lease, token)
          return found
        }
        return token
      }
      const now = performance.now()
      deadline ??= now + plan.waitTimeout
      if (now >= deadline) return undefined
      await sleep(Math.min(delay, Math.ceil(deadline - now)))
      delay = Math.min(delay * 2, POLL_MAX)
      const found = await this.#peek(key, full)
      if (found === FAILED) return undefined
      if (found !== undefined) return found
    }
  }

  /** A read while waiting for a lease holder: not counted as a hit or miss (the call's first read was). */
  async #peek(key: string, full: string): Promise<Found | undefined | typeof FAILED> {
    let data: Buffer | undefined
    try {
      data = await this.#deadlines.track(this.#store.get(full), 'getOrSet', key)
    } catch (error) {
      this.#fail(error, 'getOrSet', key)
      return FAILED
    }
    if (data === undefined) return undefined
    const soft = this.#envelope.softExpiryOf(data)
    if (soft !== undefined && soft <= Date.now()) return undefined // stale: what we are here to replace
    try {
      const value = this.#envelope.decode(data)
      return value === undefined ? undefined : new Found(value)
    } catch {
      // Undecodable: the first read of this call reported it; the computed value replaces it.
      return undefined
    }
  }

  /** Runs the factory and stores its value (then releases the lease, if held). */
  async #computeAndStore<T>(
    key: string,
    full: string,
    factory: () => T | Promise<T>,
    plan: ComputePlan,
    lease: { key: string; token: string } | undefined,
  ): Promise<T> {
    let value: T
    try {
      value = await factory()
    } catch (error) {
      // Never cached; let a waiter take over at once instead of after lockTtl.
      if (lease !== undefined) this.#releaseQuietly(key, lease.key, lease.token)
      throw error
    }
    try {
      await this.#storeComputed(key, full, value, plan, false)
    } finally {
      // After the write: a waiter that then takes the lease finds the value.
      if (lease !== undefined) this.#releaseQuietly(key, lease.key, lease.token)
    }
    return value
  }

  /**
   * Stores a computed value: with `grace`, framed with its soft expiry and kept `grace` ms longer.
   * `quiet`: failures are reported, never thrown (background refreshes).
   */
  async #storeComputed(
    key: string,
    full: string,
    value: unknown,
    plan: ComputePlan,
    quiet: boolean,
  ): Promise<void> {
    const ms = this.#spread(plan.ttl)
    if (value === undefined || (ms !== null && ms <= 0)) return
    let encoded: Buffer
    try {
      encoded =
        plan.grace > 0 && ms !== null
          ? this.#envelope.encode(value, Date.now() + ms)
          : this.#envelope.encode(value)
    } catch (error) {
      if (!quiet) throw error
      this.#report(error, 'getOrSet', key)
      return
    }
    const options = ms === null ? undefined : { ttl: ms + plan.grace }
    let written: boolean | typeof FAILED
    if (quiet) {
      try {
        written = await this.#deadlines.track(this.#store.set(full, encoded, options), 'getOrSet', key)
      } catch (error) {
        // A refresh that outlives close() has nothing to report.
        if (!isRediskitError(error, 'E_CLOSED')) this.#report(error, 'getOrSet', key)
        written = FAILED
      }
    } else {
      written = await this.#run('getOrSet', key, this.#store.set(full, encoded, options), FAILED)
    }
    if (written !== FAILED) {
      this.#stats.sets++
      this.#events.emit('set', key)
    }
  }

  /**
   * Refreshes a stale value without making anyone wait: one refresh per key in this process, and
   * (with the lease) one across processes. A factory failure keeps the stale value (stale-if-error).
   */
  #refreshInBackground(
    key: string,
    full: string,
    factory: () => unknown,
    plan: ComputePlan,
    version: number | undefined,
  ): void {
    if (this.#refreshing.has(full)) return
    this.#refreshing.add(full)
    this.#refresh(key, full, factory, plan, version)
      .catch((error: unknown) => {
        this.#report(error, 'getOrSet', key)
      })
      .finally(() => {
        this.#refreshing.delete(full)
      })
  }

  async #refresh(
    key: string,
    full: string,
    factory: () => unknown,
    plan: ComputePlan,
    version: number | undefined,
  ): Promise<void> {
    const lease =
      plan.lockTtl > 0 ? { key: this.#leaseKeys.build(key, version), token: randomUUID() } : undefined
    if (lease !== undefined) {
      try {
        const acquired = await this.#deadlines.track(
          this.#store.acquireLease(lease.key, lease.token, plan.lockTtl),
          'getOrSet',
          key,
        )
        if (!acquired) return // another process is refreshing it
      } catch (error) {
        this.#report(error, 'getOrSet', key)
        return
      }
    }
    try {
      let value: unknown
      try {
        value = await factory()
      } catch (error) {
        if (this.#setup.logErrors) {
          this.#warn(
            `rediskit: refreshing ${JSON.stringify(key)} in the background failed; the stale value stays served until its grace period ends`,
            error,
          )
        }
        return
      }
      await this.#storeComputed(key, full, value, plan, true)
    } finally {
      if (lease !== undefined) this.#releaseQuietly(key, lease.key, lease.token)
    }
  }

  /** Releases a lease without waiting; a failure is reported (the lease expires by itself anyway). */
  #releaseQuietly(key: string, lease: string, token: string): void {
    let call: Promise<boolean>
    try {
      call = this.#store.releaseLease(lease, token)
    } catch (error) {
      this.#report(error, 'getOrSet', key)
      return
    }
    this.#deadlines.track(call, 'getOrSet', key).catch((error: unknown) => {
      if (!isRediskitError(error, 'E_CLOSED')) this.#report(error, 'getOrSet', key)
    })
  }

  // ---- locks ---------------------------------------------------------------------------------

  /**
   * Takes the distributed lock `name` (SET NX PX with a random token), retrying every `retryDelay`
   * for up to `wait` ms (default: one attempt); fails with `E_LOCK` when someone else holds it.
   * Release and extend are token-checked and atomic. Locks ignore `handleErrors`: a lock the store
   * cannot confirm is never granted, so store failures always reach the caller.
   *
   * The stored key is `${prefix}:__lock__:${name}`: not versioned (two deployments with different
   * cache versions still exclude each other) and outside the keys `clear()` and `keys()` touch.
   */
  async lock(name: string, options?: LockOptions): Promise<Lock> {
    this.#open('lock')
    if (typeof name !== 'string' || name === '')
      throw configError('lock: name must be a non-empty string', 'name')
    const ttl = positiveMs(options?.ttl, DEFAULT_LOCK_HOLD, 'ttl')
    const wait = options?.wait === undefined ? 0 : Math.max(0, parseTtl(options.wait, 'wait') ?? 0)
    const retryDelay = positiveMs(options?.retryDelay, DEFAULT_LOCK_RETRY, 'retryDelay')
    const key = `${this.prefix}:__lock__:${name}`
    const token = randomUUID()
    const started = performance.now()
    for (;;) {
      const takenAt = Date.now()
      if (await this.#lockCall('lock', name, () => this.#store.acquireLease(key, token, ttl))) {
        return new Lock(name, key, token, ttl, this.#lockBackend(name), takenAt)
      }
      const waited = performance.now() - started
      if (waited >= wait) {
        throw new RediskitError(
          'E_LOCK',
          `lock ${JSON.stringify(name)} is held by someone else${wait > 0 ? ` (waited ${wait} ms)` : ''}`,
          { details: { op: 'lock', key: name } },
        )
      }
      await sleep(
        Math.max(1, Math.min(Math.round(retryDelay * (0.5 + Math.random())), Math.ceil(wait - waited))),
      )
    }
  }

  #lockBackend(name: string): {
    release(key: string, token: string): Promise<boolean>
    extend(key: string, token: string, ttl: number): Promise<boolean>
  } {
    return {
      release: (key, token) =>
        this.#lockCall('lock.release', name, () => this.#store.releaseLease(key, token)),
      extend: (key, token, ttl) =>
        this.#lockCall('lock.extend', name, () => this.#store.extendLease(key, token, ttl)),
    }
  }

  /** A lock's store call: under the deadline; failures are counted and emitted, and always thrown. */
  async #lockCall(op: string, name: string, call: () => Promise<boolean>): Promise<boolean> {
    this.#open(op)
    const started = performance.now()
    try {
      const result = await this.#deadlines.track(call(), op, name)
      this.#stats.record(op, performance.now() - started)
      return result
    } catch (error) {
      this.#stats.record(op, performance.now() - started)
      const failure = toCacheError(error, op, name, this.#setup.secrets)
      this.#stats.errors++
      this.#events.emit('error', failure)
      throw failure
    }
  }

  // ---- keys, scan, patterns ------------------------------------------------------------------

  /**
   * User keys (prefix and version stripped) matching the glob `pattern` at the cache's version (or
   * `version`), walking the store with SCAN (never KEYS). Yields each key once per scan; keys
   * written during the scan may or may not appear. With `handleErrors`, a failure ends the scan.
   */
  async *scan(pattern = '*', options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    this.#open('scan')
    const version = this.#versionOf(options?.version)
    const { glob } = this.#keys.pattern(pattern, version)
    for await (const batch of this.#scanStore(glob, options?.count ?? DEFAULT_SCAN_COUNT, 'scan')) {
      for (const full of batch) {
        const key = this.#keys.userKey(full, version)
        if (key !== undefined) yield key
      }
    }
  }

  /** Every user key matching `pattern` (see {@link scan}), collected into an array. */
  async keys(pattern = '*', options?: ScanOptions): Promise<string[]> {
    const out: string[] = []
    for await (const key of this.scan(pattern, options)) out.push(key)
    return out
  }

  /** Deletes every key matching `pattern` at the cache's version (SCAN + delete in batches); returns the count. */
  async deletePattern(pattern: string, options?: ScanOptions): Promise<number> {
    this.#open('deletePattern')
    const version = this.#versionOf(options?.version)
    return this.#deleteMatching(
      this.#keys.pattern(pattern, version),
      version,
      options?.count,
      'deletePattern',
    )
  }

  /**
   * Deletes this cache's keys: every version, or only `version`. Namespaces (`namespace()`) are
   * other caches and keep their keys. Never FLUSHDB, unless `{ flush: true }`, which empties the
   * store's whole database(s).
   */
  async clear(options?: ClearOptions): Promise<void> {
    this.#open('clear')
    if (options?.flush === true) {
      await this.#run('clear', undefined, this.#store.flush(), undefined)
      return
    }
    const version = options?.version === undefined ? 'all' : this.#versionOf(options.version)
    await this.#deleteMatching(this.#keys.pattern('*', version), version, undefined, 'clear')
  }

  /**
   * Moves the value of `key` from its version (the cache's, or `version`) to that version + `delta`,
   * keeping its TTL (Django's incr_version). Returns the new version, or `undefined` when the key
   * is missing (Django raises ValueError) or a failure was swallowed.
   */
  async incrVersion(key: string, delta = 1, options?: VersionOption): Promise<number | undefined> {
    const from = this.#versionOf(options?.version)
    if (!Number.isSafeInteger(delta) || delta === 0) {
      throw configError(`incrVersion: delta must be a non-zero integer, got ${String(delta)}`, 'delta')
    }
    const source = this.#key(key, from)
    const target = this.#key(key, from + delta)
    const deadline = performance.now() + this.#timeout
    try {
      const data = await withDeadline(this.#store.get(source), remaining(deadline), 'incrVersion', key)
      if (data === undefined) return undefined
      const ttl = await withDeadline(this.#store.ttl(source), remaining(deadline), 'incrVersion', key)
      if (ttl === undefined) return undefined
      const write = this.#store.set(target, data, ttl === null ? undefined : { ttl })
      await withDeadline(write, remaining(deadline), 'incrVersion', key)
      await withDeadline(this.#store.delete(source), remaining(deadline), 'incrVersion', key)
    } catch (error) {
      this.#fail(error, 'incrVersion', key)
      return undefined
    }
    return from + delta
  }

  /**
   * Rewrites the values matching `pattern` (default every key of the cache's version) with the
   * current serializer and compressor, keeping TTLs (django-redis-cache's reinsert_keys); returns
   * how many were rewritten. Values that already encode the same, and values that do not decode
   * (reported as 'error' events), are left alone. Run it when writes to those keys are quiet: a
   * value written between the read and the rewrite can be replaced by the older value.
   */
  async reencode(pattern = '*', options?: ScanOptions): Promise<number> {
    this.#open('reencode')
    const version = this.#versionOf(options?.version)
    const { glob } = this.#keys.pattern(pattern, version)
    let count = 0
    for await (const batch of this.#scanStore(glob, options?.count ?? DEFAULT_SCAN_COUNT, 'reencode')) {
      const data = await this.#run('reencode', undefined, this.#store.getMany(batch), FAILED)
      if (data === FAILED) return count
      const writes: Promise<boolean>[] = []
      ;(data as (Buffer | undefined)[]).forEach((old, i) => {
        if (old === undefined) return
        const full = batch[i] as string
        const key = this.#keys.userKey(full, version) ?? full
        let fresh: Buffer
        try {
          fresh = this.#envelope.encode(this.#envelope.decode(old))
        } catch (error) {
          this.#report(error, 'reencode', key)
          return
        }
        if (!fresh.equals(old)) writes.push(this.#store.set(full, fresh, REWRITE))
      })
      const results = await this.#run('reencode', undefined, Promise.all(writes), FAILED)
      if (results === FAILED) return count
      for (const written of results as boolean[]) if (written) count++
    }
    return count
  }

  // ---- structure -----------------------------------------------------------------------------

  /**
   * A child cache sharing this cache's store and settings, with the prefix `${prefix}:${name}`.
   * It has its own events and stats. Closing it does not close the store; closing the parent
   * closes it too.
   */
  namespace(name: string): Cache {
    this.#open('namespace')
    if (typeof name !== 'string' || name === '')
      throw configError('namespace: name must be a non-empty string', 'name')
    return new Cache({ ...this.#setup, prefix: `${this.prefix}:${name}`, ownsStore: false }, this)
  }

  /** Adds a listener for `event`. A namespace's 'circuit:*' listeners go to the cache that owns the store. */
  on<E extends CacheEvent>(event: E, listener: CacheEvents[E]): this {
    if (this.#parent !== undefined && isCircuitEvent(event)) this.#parent.on(event, listener)
    else this.#events.on(event, listener)
    return this
  }

  /** Removes a listener added with {@link on}. */
  off<E extends CacheEvent>(event: E, listener: CacheEvents[E]): this {
    if (this.#parent !== undefined && isCircuitEvent(event)) this.#parent.off(event, listener)
    else this.#events.off(event, listener)
    return this
  }

  /** Counters since creation (or the last `resetStats()`) and per-operation latency. */
  stats(): CacheStats {
    return this.#stats.snapshot()
  }

  /** Zeroes the counters behind {@link stats}. */
  resetStats(): void {
    this.#stats.reset()
  }

  /**
   * Closes what the cache opened (its store and connections, never a store or client passed in);
   * idempotent. Later operations fail with `E_CLOSED`.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#unsubscribe?.()
      this.#unsubscribe = undefined
      this.#closing = this.#setup.ownsStore
        ? withDeadline(this.#store.close(), Math.max(this.#timeout, 5000), 'close').catch(
            (error: unknown) => {
              this.#fail(error, 'close', undefined)
            },
          )
        : Promise.resolve()
    }
    return this.#closing
  }

  /** `await using cache = createCache()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---- internals -----------------------------------------------------------------------------

  #open(op: string): void {
    if (this.#closing !== undefined || this.#parent?.closed === true) {
      throw new RediskitError('E_CLOSED', `${op}: the cache is closed`, { details: { op } })
    }
  }

  #key(key: string, version: number | undefined): string {
    this.#open('cache operation')
    if (typeof key !== 'string') throw configError(`Keys are strings, got ${typeof key}`, 'key')
    if (version === undefined) return this.#keys.build(key)
    if (!Number.isSafeInteger(version))
      throw configError(`version must be an integer, got ${String(version)}`, 'version')
    return this.#keys.build(key, version)
  }

  #keyList(keys: readonly string[], version: number | undefined): string[] {
    if (!Array.isArray(keys)) throw configError('Expected an array of keys', 'keys')
    this.#open('cache operation')
    if (version !== undefined && !Number.isSafeInteger(version))
      throw configError(`version must be an integer, got ${String(version)}`, 'version')
    const out = new Array<string>(keys.length)
    const builder = this.#keys
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      if (typeof key !== 'string') throw configError(`Keys are strings, got ${typeof key}`, 'key')
      out[i] = version === undefined ? builder.build(key) : builder.build(key, version)
    }
    return out
  }

  #versionOf(version: number | undefined): number {
    if (version === undefined) return this.version
    if (!Number.isSafeInteger(version))
      throw configError(`version must be an integer, got ${String(version)}`, 'version')
    return version
  }

  /**
   * Decodes a read result, counting the hit or miss (an undecodable value is a miss + 'error').
   * A value past its soft expiry (written by getOrSet with `grace`) is a miss, unless `graceOk`:
   * then it comes back wrapped in {@link Stale}.
   */
  #read(data: Buffer | undefined, key: string, graceOk: boolean): unknown {
    if (data !== undefined) {
      let value: unknown
      let stale = false
      try {
        // Only frames with the soft-expiry flag (byte 2) pay for the timestamp check.
        if (data.length > 2 && data[2] !== 0) {
          const soft = this.#envelope.softExpiryOf(data)
          stale = soft !== undefined && soft <= Date.now()
        }
        value = stale && !graceOk ? undefined : this.#envelope.decode(data)
      } catch (error) {
        this.#report(error, 'decode', key)
        value = undefined
      }
      if (value !== undefined) {
        this.#stats.hits++
        this.#events.emit('hit', key)
        return stale ? new Stale(value) : value
      }
    }
    this.#stats.misses++
    this.#events.emit('miss', key)
    return undefined
  }

  /** `ms` spread by the TTL jitter (+-`jitter`), for TTLs that store something. */
  #spread(ms: number | null): number | null {
    if (this.#jitter === 0 || ms === null || ms <= 0) return ms
    return Math.max(1, Math.round(ms * (1 + this.#jitter * (2 * Math.random() - 1))))
  }

  /** `store.setMany`, with jitter spreading the entries over up to {@link JITTER_BUCKETS} TTLs. */
  #storeMany(entries: (readonly [string, Buffer])[], ms: number | null): Promise<void> {
    if (this.#jitter === 0 || ms === null || entries.length === 1) {
      return this.#store.setMany(entries, this.#spread(ms) ?? undefined)
    }
    const buckets = Math.min(JITTER_BUCKETS, entries.length)
    const parts: (readonly [string, Buffer])[][] = Array.from({ length: buckets }, () => [])
    entries.forEach((entry, i) => {
      ;(parts[i % buckets] as (readonly [string, Buffer])[]).push(entry)
    })
    return Promise.all(parts.map((part) => this.#store.setMany(part, this.#spread(ms) ?? undefined))).then(
      () => undefined,
    )
  }

  #onCircuit(change: CircuitChange): void {
    if (change.state === 'open') {
      if (this.#setup.logErrors) {
        this.#warn(
          `rediskit: the circuit to ${change.node} opened after ${change.failures} consecutive failures; calls to it fail fast (E_CIRCUIT_OPEN) for ${change.coolDown} ms, then a probe decides`,
          change.cause?.message,
        )
      }
      this.#events.emit('circuit:open', change)
    } else {
      if (this.#setup.logErrors)
        this.#warn(`rediskit: the circuit to ${change.node} closed: it answers again`)
      this.#events.emit('circuit:close', change)
    }
  }

  #warn(message: string, detail?: unknown): void {
    try {
      if (detail === undefined) this.#setup.logger.warn(message)
      else
        this.#setup.logger.warn(
          message,
          detail instanceof Error ? redactError(detail, this.#setup.secrets) : detail,
        )
    } catch {
      // A broken logger must not break the cache.
    }
  }

  #write(
    op: string,
    key: string,
    full: string,
    value: unknown,
    ms: number | null,
    nx: boolean,
    xx: boolean,
    keepTtl: boolean,
  ): Promise<boolean> {
    if (ms !== null && ms <= 0) {
      // Django's semantics: a TTL <= 0 removes the key and stores nothing. With nx the write would
      // not happen on an existing key and would vanish at once on a missing one: nothing to do.
      if (nx) return Promise.resolve(false)
      return this.#removeExpired(op, key, full).then(() => false)
    }
    let data: Buffer
    try {
      data = this.#envelope.encode(value)
    } catch (error) {
      return Promise.reject(error)
    }
    const px = this.#jitter === 0 ? ms : this.#spread(ms)
    const options: StoreSetOptions | undefined =
      nx || xx || keepTtl ? { ttl: px ?? undefined, nx, xx, keepTtl } : px === null ? undefined : { ttl: px }
    const started = performance.now()
    let call: Promise<boolean>
    try {
      call = this.#store.set(full, data, options)
    } catch (error) {
      call = Promise.reject(error)
    }
    return this.#within(
      call,
      op,
      key,
      started,
      (written) => {
        this.#stats.record(op, performance.now() - started)
        if (written) {
          this.#stats.sets++
          this.#events.emit('set', key)
        }
        return written
      },
      (error) => {
        this.#stats.record(op, performance.now() - started)
        this.#fail(error, op, key)
        return false
      },
    )
  }

  async #removeExpired(op: string, key: string, full: string): Promise<void> {
    const existed = await this.#run(op, key, this.#store.delete(full), FAILED)
    if (existed === FAILED) return
    if (existed === true) this.#stats.deletes++
    this.#events.emit('delete', key)
  }

  async #retime(op: string, key: string, full: string, ms: number | null): Promise<boolean> {
    if (ms === null) return (await this.#run(op, key, this.#store.persist(full), false)) as boolean
    if (ms <= 0) {
      const existed = await this.#run(op, key, this.#store.delete(full), FAILED)
      if (existed === FAILED) return false
      if (existed === true) this.#stats.deletes++
      this.#events.emit('delete', key)
      return existed as boolean
    }
    return (await this.#run(op, key, this.#store.expire(full, ms), false)) as boolean
  }

  async #incr(
    op: string,
    key: string,
    by: number,
    options: VersionOption | undefined,
  ): Promise<number | undefined> {
    const full = this.#key(key, options?.version)
    if (!Number.isSafeInteger(by)) throw configError(`${op}: by must be an integer, got ${String(by)}`, 'by')
    const result = await this.#run(op, key, this.#store.incr(full, by), FAILED)
    if (result === FAILED) return undefined
    this.#stats.sets++
    this.#events.emit('set', key)
    return result as number
  }

  /**
   * Awaits a store call under the deadline, recording its latency. On failure: the error policy
   * (throws unless `handleErrors`), then `fallback`.
   */
  #run<T, F>(op: string, key: string | undefined, call: Promise<T>, fallback: F): Promise<T | F> {
    const started = performance.now()
    return this.#within<T, T | F>(
      call,
      op,
      key,
      started,
      (result) => {
        this.#stats.record(op, performance.now() - started)
        return result
      },
      (error) => {
        this.#stats.record(op, performance.now() - started)
        this.#fail(error, op, key)
        return fallback
      },
    )
  }

  /**
   * `call` under the deadline, continued by `onValue` or `onError` (a failure, or `E_TIMEOUT` at
   * the deadline) in one promise: what `await deadlines.track(call)` in an async function does,
   * with fewer promises and microtask hops on the hot paths. A callback that throws rejects.
   */
  #within<T, R>(
    call: Promise<T>,
    op: string,
    key: string | undefined,
    started: number,
    onValue: (value: T) => R,
    onError: (error: unknown) => R,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const fail = (error: unknown): void => {
        try {
          resolve(onError(error))
        } catch (thrown) {
          reject(thrown)
        }
      }
      const ticket = this.#deadlines.begin(fail, op, key, started)
      call.then(
        (value) => {
          if (!this.#deadlines.end(ticket)) return
          try {
            resolve(onValue(value))
          } catch (thrown) {
            reject(thrown)
          }
        },
        (error: unknown) => {
          if (this.#deadlines.end(ticket)) fail(error)
        },
      )
    })
  }

  async *#scanStore(glob: string, count: number, op: string): AsyncGenerator<string[], void, undefined> {
    let iterator: AsyncIterator<string[]>
    try {
      iterator = this.#store.scan(glob, { count })[Symbol.asyncIterator]()
    } catch (error) {
      this.#fail(error, op, undefined)
      return
    }
    let done = false
    try {
      while (true) {
        let step: IteratorResult<string[]>
        try {
          step = await this.#deadlines.track(iterator.next(), op)
        } catch (error) {
          this.#fail(error, op, undefined)
          return
        }
        if (step.done === true) {
          done = true
          return
        }
        yield step.value
      }
    } finally {
      if (!done && iterator.return !== undefined) {
        // Stop the store's scan without waiting on it (it may be the part that hangs).
        try {
          Promise.resolve(iterator.return()).catch(() => {})
        } catch {
          // A store whose scan cannot be stopped is left to finish on its own.
        }
      }
    }
  }

  async #deleteMatching(
    pattern: KeyPattern,
    version: number | 'all',
    count: number | undefined,
    op: string,
  ): Promise<number> {
    let total = 0
    const emit = this.#events.has('delete')
    for await (const batch of this.#scanStore(pattern.glob, count ?? DEFAULT_DELETE_COUNT, op)) {
      const { filter } = pattern
      const fulls = filter === undefined ? batch : batch.filter((full) => filter.test(full))
      if (fulls.length === 0) continue
      const deleted = await this.#run(op, undefined, this.#store.deleteMany(fulls), FAILED)
      if (deleted === FAILED) return total
      total += deleted as number
      this.#stats.deletes += deleted as number
      if (emit) {
        for (const full of fulls) {
          const key =
            version === 'all'
              ? (filter?.exec(full)?.[1] ?? full)
              : (this.#keys.userKey(full, version) ?? full)
          this.#events.emit('delete', key)
        }
      }
    }
    return total
  }

  /** The error policy: count, emit, then throw (or, with `handleErrors`, log and return). */
  #fail(error: unknown, op: string, key: string | undefined): void {
    const failure = toCacheError(error, op, key, this.#setup.secrets)
    this.#stats.errors++
    this.#events.emit('error', failure)
    if (!this.#setup.handleErrors) throw failure
    // An open circuit was logged once when it opened: its fast failures are not logged one by one.
    if (this.#setup.logErrors && failure.code !== 'E_CIRCUIT_OPEN') this.#log(failure, op, key)
  }

  /** Reports a failure that is never thrown (a value that does not decode): count, emit, log. */
  #report(error: unknown, op: string, key: string | undefined): void {
    const failure = toCacheError(error, op, key, this.#setup.secrets)
    this.#stats.errors++
    this.#events.emit('error', failure)
    if (this.#setup.logErrors) this.#log(failure, op, key)
  }

  #log(failure: RediskitError, op: string, key: string | undefined): void {
    try {
      this.#setup.logger.error(`rediskit: ${failure.message}`, { code: failure.code, op, key })
    } catch {
      // A broken logger must not turn a handled failure into a thrown one.
    }
  }
}

/** Marks a failed store call in internal results (distinct from every store answer). */
const FAILED: unique symbol = Symbol('failed')
const REWRITE: StoreSetOptions = { xx: true, keepTtl: true }

/** A value found past its soft expiry (inside its grace period). */
class Stale {
  constructor(readonly value: unknown) {}
}

/** A value that appeared while waiting for another process's lease. */
class Found {
  constructor(readonly value: unknown) {}
}

function isCircuitEvent(event: CacheEvent): boolean {
  return event === 'circuit:open' || event === 'circuit:close'
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A required-positive duration option with a default (E_CONFIG otherwise). */
function positiveMs(value: Ttl | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback
  const ms = parseTtl(value, option)
  if (ms === null || ms <= 0) throw configError(`lock: ${option} must be a positive duration`, option)
  return ms
}

/** A factory's error as a log detail: its message (scrubbed), never its whole object graph. */
function redactError(error: Error, secrets: readonly string[]): string {
  return redact(error.message, secrets)
}

function remaining(deadline: number): number {
  return Math.max(1, Math.ceil(deadline - performance.now()))
}

function configError(message: string, option: string): RediskitError {
  return new RediskitError('E_CONFIG', message, { details: { option } })
}

function toEntryList(entries: Entries): (readonly [string, unknown])[] {
  if (entries instanceof Map) return [...(entries as ReadonlyMap<string, unknown>)]
  if (Array.isArray(entries)) return entries as (readonly [string, unknown])[]
  if (typeof entries === 'object' && entries !== null) {
    if (Symbol.iterator in entries) return [...(entries as Iterable<readonly [string, unknown]>)]
    return Object.entries(entries)
  }
  throw configError('setMany: entries must be an object, a Map or [key, value] pairs', 'entries')
}
