import { RediskitError } from './errors.js'
import { inspectSymbol } from './redact.js'
import type { Ttl } from './types.js'

/** Options of `cache.lock(name, options)`. */
export interface LockOptions {
  /** How long the lock is held unless released or extended (ms or `'30s'`...). Default 10 s. */
  ttl?: Ttl | undefined
  /**
   * How long to keep trying when someone else holds the lock; then `E_LOCK`. Default `0`: one
   * attempt.
   */
  wait?: Ttl | undefined
  /** Pause between attempts while waiting (ms, +-50% jitter). Default 50 ms. */
  retryDelay?: Ttl | undefined
}

/** What a {@link Lock} needs from its cache: token-checked release and extend, already bounded by the deadline. */
export interface LockBackend {
  release(key: string, token: string): Promise<boolean>
  extend(key: string, token: string, ttl: number): Promise<boolean>
}

/**
 * A distributed lock held through the store (SET NX PX with a random token). `release()` and
 * `extend()` are atomic and token-checked on the server (a Lua script on Redis): once the lock
 * expired and someone else took it, the old holder can neither release nor extend it.
 *
 * `await using lock = await cache.lock('job')` releases it at the end of the scope.
 */
export class Lock {
  /** The name given to `cache.lock()`. */
  readonly name: string
  /** The stored key of the lock. */
  readonly key: string
  /** This holder's random token (what the server compares on release/extend). */
  readonly token: string
  /** The TTL (ms) the lock was taken with; `extend()` uses it by default. */
  readonly ttl: number
  readonly #backend: LockBackend
  #released = false
  #expiresAt: number

  /** @internal Use `cache.lock()`. */
  constructor(name: string, key: string, token: string, ttl: number, backend: LockBackend, takenAt: number) {
    this.name = name
    this.key = key
    this.token = token
    this.ttl = ttl
    this.#backend = backend
    this.#expiresAt = takenAt + ttl
  }

  /** True once `release()` was called. */
  get released(): boolean {
    return this.#released
  }

  /**
   * When the lock expires at the latest (epoch ms, this process's clock), unless extended. It may
   * be lost earlier only if it was deleted behind rediskit's back.
   */
  get expiresAt(): number {
    return this.#expiresAt
  }

  /**
   * Releases the lock if this holder still holds it. `true` if it did; `false` when it had already
   * expired (and maybe been taken by someone else, whose lock stays untouched) or was released.
   */
  async release(): Promise<boolean> {
    if (this.#released) return false
    this.#released = true
    return this.#backend.release(this.key, this.token)
  }

  /**
   * Resets the lock's TTL to `ttl` ms (default: the TTL it was taken with), if this holder still
   * holds it. Fails with `E_LOCK` when it does not (the lock expired, maybe taken by someone else):
   * the work it protects is no longer exclusive.
   */
  async extend(ttl: number = this.ttl): Promise<void> {
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
      throw new RediskitError('E_CONFIG', `extend: ttl must be a positive number of ms, got ${String(ttl)}`, {
        details: { option: 'ttl' },
      })
    }
    const ms = Math.ceil(ttl)
    if (this.#released) throw this.#lost('extend', 'it was released')
    const started = Date.now()
    if (!(await this.#backend.extend(this.key, this.token, ms))) {
      throw this.#lost('extend', 'it expired and is no longer held by this holder')
    }
    this.#expiresAt = started + ms
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }

  [inspectSymbol](): string {
    return `Lock { name: ${JSON.stringify(this.name)}, key: ${JSON.stringify(this.key)}, released: ${this.#released} }`
  }

  #lost(op: string, why: string): RediskitError {
    return new RediskitError('E_LOCK', `cannot ${op} lock ${JSON.stringify(this.name)}: ${why}`, {
      details: { op: `lock.${op}`, key: this.name },
    })
  }
}
