/**
 * The interfaces between the layers of rediskit (see DESIGN.md "Layers"):
 *
 *   Cache -> Store -> Topology -> Driver (-> Parser, inside the native driver only)
 *
 * Each interface is small: the methods every implementation must have, plus optional
 * capabilities. Third-party implementations prove themselves with the contract suites in
 * `@rediskit/testing`.
 */

import type { CircuitChange } from './circuit-breaker.js'

/** An argument of a Redis command. Numbers are sent as their decimal text. */
export type RedisArg = string | Buffer | number

/**
 * A reply from Redis, as drivers return it: bulk strings as `Buffer`, status replies as `string`
 * (or `Buffer`), integers as `number` (or `bigint`/`string` beyond 2^53 where the driver supports
 * it), nil as `null`, aggregates as arrays. Error replies reject (or appear as `Error` in a batch).
 */
export type RedisReply = null | string | number | bigint | boolean | Buffer | RedisReply[]

/** One command of a pipeline: the command name followed by its arguments. */
export type RedisCommand = readonly [string, ...RedisArg[]]

/**
 * Turns values into bytes and back. `serialize` may return a string (taken as UTF-8).
 * `deserialize` receives exactly the bytes `serialize` produced.
 */
export interface Serializer {
  /** Short stable name, e.g. 'json', 'msgpack'. */
  readonly name: string
  serialize(value: unknown): Buffer | string
  deserialize(data: Buffer): unknown
  /**
   * When true, values are stored exactly as `serialize` returns them: no frame, no compression,
   * no integer special-casing. For interop with other clients (the `raw()` serializer).
   */
  readonly raw?: boolean
}

/**
 * Compresses bytes. `id` is recorded in the value frame (1..255, 0 = none) so a reader picks the
 * algorithm from the stored value, whatever the cache is configured with now.
 */
export interface Compressor {
  readonly name: string
  readonly id: number
  compress(data: Buffer): Buffer
  decompress(data: Buffer): Buffer
  /** The compression level in use, for algorithms that have one (informational). */
  readonly level?: number
  /**
   * The most bytes `decompress` will produce; larger (or corrupt) input fails with
   * `RediskitError` `E_DECODE` instead of exhausting memory. The compressor contract in
   * `@rediskit/testing` checks the bound when a compressor declares it.
   */
  readonly maxDecompressedBytes?: number
}

/**
 * One connection (or pool) to one endpoint. Must apply its own deadline to every command and
 * reject with a `RediskitError` (`E_TIMEOUT`, `E_CONNECTION`, `E_CLOSED`, `E_REDIS`, `E_PROTOCOL`).
 */
export interface Driver {
  /** A stable, credential-free identity, e.g. '127.0.0.1:6379' or '/tmp/redis.sock'. */
  readonly id: string
  send(command: string, args: readonly RedisArg[]): Promise<RedisReply>
  /** Pipelined in one round trip; one entry per command, an `Error` for a command that failed. */
  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]>
  close(): Promise<void>
  /** The underlying client (e.g. the ioredis instance), for `cache.client`. */
  readonly client?: unknown
}

/** The drivers a group of keys goes to, with the positions of those keys in the input. */
export interface KeyGroup {
  driver: Driver
  indexes: number[]
}

/** Where a key lives. */
export interface Topology {
  /** 'standalone' | 'replicated' | 'sentinel' | 'sharded' | 'cluster' | ... */
  readonly kind: string
  nodeFor(key: string, intent: 'read' | 'write'): Driver
  /**
   * Splits keys into groups that one driver can serve with one multi-key command (same node,
   * and in a cluster the same slot). Every index of `keys` appears in exactly one group.
   */
  group(keys: readonly string[], intent: 'read' | 'write'): KeyGroup[]
  /** Every primary once, for fan-out (SCAN, clear). */
  primaries(): readonly Driver[]
  close(): Promise<void>
  /** The underlying client(s), for `cache.client`. */
  readonly client?: unknown
}

/** Options of {@link Store.set}. TTLs are milliseconds. */
export interface StoreSetOptions {
  /** Milliseconds to live; `undefined` = no expiry (unless `keepTtl`). Always > 0 when given. */
  ttl?: number | undefined
  /** Only write if the key does not exist. */
  nx?: boolean | undefined
  /** Only write if the key exists. */
  xx?: boolean | undefined
  /** Keep the key's current TTL (SET KEEPTTL). */
  keepTtl?: boolean | undefined
}

/** Options of {@link Store.scan}. */
export interface StoreScanOptions {
  /** A hint for how many keys one SCAN step looks at. */
  count?: number | undefined
}

/**
 * Byte-level cache primitives over full keys (prefix already applied) and encoded values.
 * RedisStore, MemoryStore and NullStore implement it; the store contract suite in
 * `@rediskit/testing` pins down the semantics every implementation shares.
 */
export interface Store {
  /** 'redis' | 'memory' | 'null' | ... */
  readonly kind: string
  get(key: string): Promise<Buffer | undefined>
  /** Aligned with `keys`; `undefined` for misses. */
  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]>
  /**
   * Optional fast path of {@link get} for the cache's hot path: no promise per call. Calls exactly
   * one of the callbacks, once (possibly synchronously for an immediate failure); never throws.
   */
  getWith?(key: string, onValue: (value: Buffer | undefined) => void, onError: (error: unknown) => void): void
  /** `true` if written (false when nx/xx prevented it). */
  set(key: string, value: Buffer, options?: StoreSetOptions): Promise<boolean>
  /** Writes all entries, one round trip per node where the store can. */
  setMany(entries: readonly (readonly [string, Buffer])[], ttl?: number): Promise<void>
  delete(key: string): Promise<boolean>
  /** Number of keys that existed and were removed. */
  deleteMany(keys: readonly string[]): Promise<number>
  has(key: string): Promise<boolean>
  /** Milliseconds left; `null` = no expiry; `undefined` = missing. */
  ttl(key: string): Promise<number | null | undefined>
  /** `true` if the key exists (and now expires in `ttl` ms). */
  expire(key: string, ttl: number): Promise<boolean>
  /** `true` if the key exists (and now expires at `timestamp`, epoch ms). */
  expireAt(key: string, timestamp: number): Promise<boolean>
  /** `true` if the key exists (its expiry, if any, is removed). */
  persist(key: string): Promise<boolean>
  /** Atomic increment of a decimal integer value; a missing key starts at 0; the TTL is kept. */
  incr(key: string, by: number): Promise<number>
  /** Full keys matching a glob, in batches; never KEYS. A key may appear at most once. */
  scan(pattern: string, options?: StoreScanOptions): AsyncIterable<string[]>
  /** Removes everything in the store's database(s). Only for `clear({ flush: true })`. */
  flush(): Promise<void>
  /** Takes a lease (SET NX PX): `true` if this token now holds it for `ttl` ms. */
  acquireLease(key: string, token: string, ttl: number): Promise<boolean>
  /** Releases a lease only if `token` still holds it. */
  releaseLease(key: string, token: string): Promise<boolean>
  /** Extends a lease only if `token` still holds it. */
  extendLease(key: string, token: string, ttl: number): Promise<boolean>
  close(): Promise<void>
  /** The underlying client(s), for `cache.client`. */
  readonly client?: unknown
  /**
   * Optional: reports circuit-breaker changes of the store's nodes (RedisStore has it); returns a
   * function that removes the listener. The cache emits them as 'circuit:open' / 'circuit:close'.
   */
  onCircuitChange?(listener: (change: CircuitChange) => void): () => void
}

/** Anything with warn/error/debug: console, pino, winston... */
export interface Logger {
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
}

/**
 * A TTL: milliseconds, or a string '500ms' | '30s' | '5m' | '1h' | '2d'; `null` = never expires.
 * `0` or a negative value removes the key and stores nothing.
 */
export type Ttl = number | string | null
