import { RediskitError } from './errors.js'
import { globToRegExp, isGlobPattern } from './glob.js'
import type { Store, StoreScanOptions, StoreSetOptions } from './types.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** At most this many keys; the least recently used are evicted first. Default 10 000. */
  maxEntries?: number | undefined
  /**
   * At most this many bytes of keys (UTF-8) plus values; the least recently used are evicted
   * first. A single value larger than this is not stored. Default 64 MiB.
   */
  maxBytes?: number | undefined
}

interface Entry {
  value: Buffer
  /** Epoch ms; 0 = never. */
  expiresAt: number
  size: number
}

const DEFAULT_MAX_ENTRIES = 10_000
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
const DEFAULT_SCAN_COUNT = 100
const MIN_SWEEP_INTERVAL = 64
const INTEGER = /^-?(?:0|[1-9]\d*)$/

/**
 * The embedded store: an in-process LRU with millisecond TTLs, bounded by entries and bytes, so a
 * program runs with no Redis at all. Semantics follow Redis where they overlap: expired keys are
 * never returned (lazy expiry on access, plus an amortised sweep on writes; no timers), `incr`
 * works on decimal integer text and fails like Redis on anything else, `scan` takes Redis globs.
 * Buffers are copied on the way in and out, so callers mutating them cannot corrupt the store.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly maxEntries: number
  readonly maxBytes: number
  readonly #map = new Map<string, Entry>()
  #bytes = 0
  #writesSinceSweep = 0
  #sweepAfter = MIN_SWEEP_INTERVAL
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = positiveInteger(options.maxEntries, DEFAULT_MAX_ENTRIES, 'memory.maxEntries')
    this.maxBytes = positiveInteger(options.maxBytes, DEFAULT_MAX_BYTES, 'memory.maxBytes')
  }

  /** Live keys right now (expired ones not yet swept are not counted). */
  get size(): number {
    const now = Date.now()
    let count = 0
    for (const entry of this.#map.values()) if (!expired(entry, now)) count++
    return count
  }

  /** Bytes held (keys + values), including expired entries not yet swept. */
  get bytes(): number {
    return this.#bytes
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.#open()
    const entry = this.#live(key, Date.now(), true)
    return entry === undefined ? undefined : Buffer.from(entry.value)
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    this.#open()
    const now = Date.now()
    const out = new Array<Buffer | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const entry = this.#live(keys[i] as string, now, true)
      out[i] = entry === undefined ? undefined : Buffer.from(entry.value)
    }
    return out
  }

  async set(key: string, value: Buffer, options?: StoreSetOptions): Promise<boolean> {
    this.#open()
    return this.#set(key, value, options, Date.now())
  }

  async setMany(entries: readonly (readonly [string, Buffer])[], ttl?: number): Promise<void> {
    this.#open()
    const now = Date.now()
    const options: StoreSetOptions | undefined = ttl === undefined ? undefined : { ttl }
    for (const [key, value] of entries) this.#set(key, value, options, now)
  }

  async delete(key: string): Promise<boolean> {
    this.#open()
    const existed = this.#live(key, Date.now(), false) !== undefined
    this.#remove(key)
    return existed
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.#open()
    const now = Date.now()
    let count = 0
    for (const key of keys) {
      if (this.#live(key, now, false) !== undefined) {
        this.#remove(key)
        count++
      }
    }
    return count
  }

  async has(key: string): Promise<boolean> {
    this.#open()
    return this.#live(key, Date.now(), false) !== undefined
  }

  async ttl(key: string): Promise<number | null | undefined> {
    this.#open()
    const now = Date.now()
    const entry = this.#live(key, now, false)
    if (entry === undefined) return undefined
    return entry.expiresAt === 0 ? null : entry.expiresAt - now
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    this.#open()
    return this.#expireAt(key, Date.now() + ttl)
  }

  async expireAt(key: string, timestamp: number): Promise<boolean> {
    this.#open()
    return this.#expireAt(key, timestamp)
  }

  async persist(key: string): Promise<boolean> {
    this.#open()
    const entry = this.#live(key, Date.now(), false)
    if (entry === undefined) return false
    entry.expiresAt = 0
    return true
  }

  async incr(key: string, by: number): Promise<number> {
    this.#open()
    const now = Date.now()
    const entry = this.#live(key, now, true)
    let current = 0
    if (entry !== undefined) {
      const text = entry.value.length <= 20 ? entry.value.toString('latin1') : ''
      current = INTEGER.test(text) ? Number(text) : Number.NaN
      if (!Number.isSafeInteger(current)) {
        throw new RediskitError('E_REDIS', 'ERR value is not an integer or out of range', {
          details: { command: 'incr' },
        })
      }
    }
    const next = current + by
    if (!Number.isSafeInteger(next)) {
      throw new RediskitError('E_REDIS', 'ERR increment or decrement would overflow', {
        details: { command: 'incr' },
      })
    }
    this.#set(key, Buffer.from(String(next), 'latin1'), KEEP_TTL, now)
    return next
  }

  async *scan(pattern: string, options?: StoreScanOptions): AsyncIterable<string[]> {
    this.#open()
    const count = Math.max(1, options?.count ?? DEFAULT_SCAN_COUNT)
    if (!isGlobPattern(pattern)) {
      if (this.#live(pattern, Date.now(), false) !== undefined) yield [pattern]
      return
    }
    const regex = globToRegExp(pattern)
    // A snapshot: keys written during the scan are not visited, none is visited twice.
    const keys = [...this.#map.keys()]
    let batch: string[] = []
    for (const key of keys) {
      if (!regex.test(key)) continue
      if (this.#live(key, Date.now(), false) === undefined) continue
      batch.push(key)
      if (batch.length >= count) {
        yield batch
        this.#open()
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  }

  async flush(): Promise<void> {
    this.#open()
    this.#map.clear()
    this.#bytes = 0
  }

  async acquireLease(key: string, token: string, ttl: number): Promise<boolean> {
    this.#open()
    return this.#set(key, Buffer.from(token, 'utf8'), { ttl, nx: true }, Date.now())
  }

  async releaseLease(key: string, token: string): Promise<boolean> {
    this.#open()
    const entry = this.#live(key, Date.now(), false)
    if (entry === undefined || !entry.value.equals(Buffer.from(token, 'utf8'))) return false
    this.#remove(key)
    return true
  }

  async extendLease(key: string, token: string, ttl: number): Promise<boolean> {
    this.#open()
    const now = Date.now()
    const entry = this.#live(key, now, false)
    if (entry === undefined || !entry.value.equals(Buffer.from(token, 'utf8'))) return false
    entry.expiresAt = now + ttl
    return true
  }

  /** Drops every entry; later calls reject with `E_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    this.#map.clear()
    this.#bytes = 0
  }

  #open(): void {
    if (this.#closed) throw new RediskitError('E_CLOSED', 'The memory store is closed')
  }

  /** The entry of `key` if present and not expired; expired entries are removed on the way. */
  #live(key: string, now: number, touch: boolean): Entry | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (expired(entry, now)) {
      this.#remove(key)
      return undefined
    }
    if (touch) {
      // Most recently used goes last in the Map's insertion order.
      this.#map.delete(key)
      this.#map.set(key, entry)
    }
    return entry
  }

  #set(key: string, value: Buffer, options: StoreSetOptions | undefined, now: number): boolean {
    const current = this.#live(key, now, false)
    let expiresAt = 0
    if (options !== undefined) {
      if (options.nx === true && current !== undefined) return false
      if (options.xx === true && current === undefined) return false
      if (options.keepTtl === true) expiresAt = current?.expiresAt ?? 0
      else if (options.ttl !== undefined) expiresAt = now + options.ttl
    }
    if (current !== undefined) this.#remove(key)
    const size = Buffer.byteLength(key, 'utf8') + value.length
    if (size > this.maxBytes) return false
    this.#map.set(key, { value: Buffer.from(value), expiresAt, size })
    this.#bytes += size
    if (++this.#writesSinceSweep >= this.#sweepAfter) this.#sweep(now)
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#map.keys().next().value as string
      this.#remove(oldest)
    }
    return true
  }

  #expireAt(key: string, timestamp: number): boolean {
    const now = Date.now()
    const entry = this.#live(key, now, false)
    if (entry === undefined) return false
    if (timestamp <= now) this.#remove(key)
    else entry.expiresAt = timestamp
    return true
  }

  #remove(key: string): void {
    const entry = this.#map.get(key)
    if (entry === undefined) return
    this.#map.delete(key)
    this.#bytes -= entry.size
  }

  /** Removes every expired entry; runs once per `size` writes (at least 64), so O(1) amortised. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#map) if (expired(entry, now)) this.#remove(key)
    this.#writesSinceSweep = 0
    this.#sweepAfter = Math.max(MIN_SWEEP_INTERVAL, this.#map.size)
  }
}

const KEEP_TTL: StoreSetOptions = { keepTtl: true }

function expired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== 0 && entry.expiresAt <= now
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RediskitError('E_CONFIG', `Invalid ${name}: ${value}; expected a positive integer`, {
      details: { option: name },
    })
  }
  return value
}
