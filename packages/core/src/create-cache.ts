import { Cache, type CacheSetup } from './cache.js'
import { type CircuitBreakerOptions, checkCircuitOptions } from './circuit-breaker.js'
import type { ConnectionOptions } from './connection-options.js'
import { Envelope } from './envelope.js'
import { RediskitError } from './errors.js'
import type { KeyFunction } from './keys.js'
import { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
import { NullStore } from './null-store.js'
import { secretCandidates } from './redact.js'
import { RedisStore } from './redis-store.js'
import { createTopology } from './topology-factory.js'
import { parseTtl } from './ttl.js'
import type { Compressor, Logger, Serializer, Store, Topology, Ttl } from './types.js'

/**
 * Options of {@link createCache}. Where the data lives is chosen by the first of:
 * `store` (a Store, or `'memory'` / `'null'`), `topology`, `location` / `client` / `sentinels`
 * (Redis); with none of them the cache uses the embedded {@link MemoryStore}. Give only one.
 */
export interface CacheOptions extends ConnectionOptions {
  /** A ready store (never closed by the cache), `'memory'` (the default) or `'null'` (reads miss, writes succeed). */
  store?: Store | 'memory' | 'null' | undefined
  /** A ready topology (e.g. `sharded({...})`, `cluster({...})`); the cache never closes it. */
  topology?: Topology | undefined
  /** Bounds of the embedded MemoryStore (only with no store/topology/location). */
  memory?: MemoryStoreOptions | undefined
  /** Key prefix. Default `''` (keys look like `:1:key`, as in Django). */
  prefix?: string | undefined
  /** Version written into every key. Default 1. */
  version?: number | undefined
  /** Builds stored keys. Default `${prefix}:${version}:${key}`. */
  keyFunction?: KeyFunction | undefined
  /** Default: the built-in JSON serializer. */
  serializer?: Serializer | undefined
  /** Default: none (values stored uncompressed). */
  compressor?: Compressor | undefined
  /** Payloads smaller than this many bytes are never compressed. Default 1024. */
  compressThreshold?: number | undefined
  /**
   * More compressors this cache can read (chosen by the id in each stored frame), e.g. the one
   * values were written with before switching to `compressor`.
   */
  decompressors?: readonly Compressor[] | undefined
  /** Default TTL: ms, `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'2d'`, or `null` (the default) = never expires. */
  ttl?: Ttl | undefined
  /** Store failures become misses / `false` / `0` instead of errors (HANDLE_EXCEPTIONS). Default false. */
  handleErrors?: boolean | undefined
  /** Log the failures `handleErrors` swallows (and undecodable values) with `logger.error`. Default true. */
  logErrors?: boolean | undefined
  /** Anything with warn/error/debug (console, pino, winston). Default `console`. */
  logger?: Logger | undefined
  /**
   * Coalesce the `get` calls of one tick into one MGET per node (per hash slot in a cluster).
   * Default `true`; `false` sends one GET per call. Only for the Redis store the cache creates.
   */
  batching?: boolean | undefined
  /**
   * Per-node circuit breaker of the Redis store the cache creates: after `failures` consecutive
   * connection/timeout failures within `window` ms, calls to that node fail fast with
   * `E_CIRCUIT_OPEN` (a miss under `handleErrors`) for `coolDown` ms, then one probe decides.
   * Default `{ failures: 10, window: 10000, coolDown: 1000 }`; `false` turns it off.
   */
  circuitBreaker?: CircuitBreakerOptions | false | undefined
  /**
   * Spread every TTL a write stores by +-this fraction (`0.1` = +-10%), so keys written together
   * do not expire together. Default 0.
   */
  jitter?: number | undefined
}

const DEFAULT_COMMAND_TIMEOUT = 1000
const DEFAULT_CONNECT_TIMEOUT = 5000
const MAX_TIMER = 2_147_483_647
const READ_FROM = new Set(['primary', 'replica', 'prefer-replica'])

/**
 * Creates a cache. Never blocks and never connects: Redis connections open lazily on first use,
 * so creating a cache for an unreachable server succeeds (its operations then fail, or miss with
 * `handleErrors`). Invalid options throw `RediskitError` `E_CONFIG` naming the option.
 *
 * ```ts
 * const cache = createCache()                                        // in-process memory
 * const cache = createCache({ location: 'redis://127.0.0.1:6379/0', prefix: 'app', ttl: '10m' })
 * ```
 */
export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(resolveCacheSetup(options))
}

/** Validates `options` and builds what a {@link Cache} runs on. @internal */
export function resolveCacheSetup(options: CacheOptions): CacheSetup {
  if (typeof options !== 'object' || options === null) throw configError('options', 'must be an object')
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string') throw configError('prefix', 'must be a string')
  const version = options.version ?? 1
  if (!Number.isSafeInteger(version)) throw configError('version', 'must be an integer')
  const keyFunction = options.keyFunction
  if (keyFunction !== undefined && typeof keyFunction !== 'function') {
    throw configError('keyFunction', 'must be a function (key, prefix, version) => string')
  }
  const serializer = options.serializer
  if (serializer !== undefined && !isSerializer(serializer)) {
    throw configError('serializer', 'must have a name and serialize()/deserialize() methods')
  }
  const compressor = options.compressor
  if (compressor !== undefined && !isCompressor(compressor)) {
    throw configError('compressor', 'must have a name, a numeric id and compress()/decompress() methods')
  }
  const decompressors = options.decompressors ?? []
  if (!Array.isArray(decompressors) || !decompressors.every(isCompressor)) {
    throw configError('decompressors', 'must be an array of compressors')
  }
  const compressThreshold = options.compressThreshold ?? 1024
  if (typeof compressThreshold !== 'number' || !(compressThreshold >= 0)) {
    throw configError('compressThreshold', 'must be a number of bytes >= 0')
  }
  const defaultTtl = options.ttl === undefined ? null : parseTtl(options.ttl, 'ttl')
  const handleErrors = flag(options.handleErrors, false, 'handleErrors')
  const logErrors = flag(options.logErrors, true, 'logErrors')
  const logger = options.logger ?? console
  if (!isLogger(logger)) throw configError('logger', 'must have error(), warn() and debug() methods')
  const commandTimeout = timeout(options.commandTimeout, DEFAULT_COMMAND_TIMEOUT, 'commandTimeout')
  const connectTimeout = timeout(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT, 'connectTimeout')
  if (options.readFrom !== undefined && !READ_FROM.has(options.readFrom)) {
    throw configError('readFrom', "must be 'primary', 'replica' or 'prefer-replica'")
  }

  const batching = flag(options.batching, true, 'batching')
  const circuitBreaker = checkCircuitOptions(options.circuitBreaker)
  const jitter = options.jitter ?? 0
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1)) {
    throw configError('jitter', 'must be a fraction >= 0 and < 1 (0.1 = +-10%)')
  }

  const envelope = new Envelope({ serializer, compressor, compressThreshold, decompressors })
  const { store, ownsStore } = selectStore(
    options,
    { commandTimeout, batching, circuitBreaker },
    connectTimeout,
  )
  return {
    store,
    ownsStore,
    prefix,
    version,
    keyFunction,
    envelope,
    defaultTtl,
    handleErrors,
    logErrors,
    logger,
    commandTimeout,
    secrets: secretsOf(options),
    jitter,
  }
}

function selectStore(
  options: CacheOptions,
  redisOptions: { commandTimeout: number; batching: boolean; circuitBreaker: CircuitBreakerOptions | false },
  connectTimeout: number,
): { store: Store; ownsStore: boolean } {
  const { commandTimeout } = redisOptions
  const redis =
    options.location !== undefined || options.client !== undefined || options.sentinels !== undefined
  const sources = [options.store !== undefined, options.topology !== undefined, redis].filter(Boolean).length
  if (sources > 1) {
    throw configError('store', 'give only one of store, topology, or location/client/sentinels')
  }
  const memory = options.memory
  if (memory !== undefined) {
    if (typeof memory !== 'object' || memory === null)
      throw configError('memory', 'must be { maxEntries, maxBytes }')
    if (
      !(options.store === undefined || options.store === 'memory') ||
      options.topology !== undefined ||
      redis
    ) {
      throw configError('memory', 'applies only to the embedded memory store')
    }
  }
  const { store, topology } = options
  if (store !== undefined) {
    if (store === 'memory') return { store: new MemoryStore(memory), ownsStore: true }
    if (store === 'null') return { store: new NullStore(), ownsStore: true }
    if (!isStore(store)) throw configError('store', "must be a Store, 'memory' or 'null'")
    return { store, ownsStore: false }
  }
  if (topology !== undefined) {
    if (!isTopology(topology))
      throw configError('topology', 'must be a Topology (nodeFor, group, primaries, close)')
    return { store: new RedisStore(topology, { ...redisOptions, ownsTopology: false }), ownsStore: true }
  }
  if (redis) {
    const created = createTopology({ ...options, commandTimeout, connectTimeout })
    return { store: new RedisStore(created, { ...redisOptions, ownsTopology: true }), ownsStore: true }
  }
  return { store: new MemoryStore(memory), ownsStore: true }
}

/** Every string that could be a password in the options, for scrubbing messages. */
function secretsOf(options: CacheOptions): string[] {
  const secrets = new Set<string>()
  for (const secret of [options.password, options.sentinelPassword]) if (secret) secrets.add(secret)
  const locations = typeof options.location === 'string' ? [options.location] : (options.location ?? [])
  for (const location of locations) {
    if (typeof location === 'string') for (const secret of secretCandidates(location)) secrets.add(secret)
  }
  return [...secrets].sort((a, b) => b.length - a.length)
}

function configError(option: string, problem: string): RediskitError {
  return new RediskitError('E_CONFIG', `Invalid option ${option}: ${problem}`, { details: { option } })
}

function flag(value: boolean | undefined, fallback: boolean, option: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw configError(option, 'must be true or false')
  return value
}

function timeout(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER) {
    throw configError(option, `must be a number of milliseconds between 1 and ${MAX_TIMER}`)
  }
  return value
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return names.every((name) => typeof record[name] === 'function')
}

function isSerializer(value: unknown): value is Serializer {
  return hasMethods(value, ['serialize', 'deserialize']) && typeof (value as Serializer).name === 'string'
}

function isCompressor(value: unknown): value is Compressor {
  return (
    hasMethods(value, ['compress', 'decompress']) &&
    typeof (value as Compressor).name === 'string' &&
    Number.isInteger((value as Compressor).id) &&
    (value as Compressor).id >= 0 &&
    (value as Compressor).id <= 255
  )
}

function isLogger(value: unknown): value is Logger {
  return hasMethods(value, ['error', 'warn', 'debug'])
}

function isStore(value: unknown): value is Store {
  return hasMethods(value, [
    'get',
    'getMany',
    'set',
    'setMany',
    'delete',
    'deleteMany',
    'has',
    'scan',
    'close',
  ])
}

function isTopology(value: unknown): value is Topology {
  return hasMethods(value, ['nodeFor', 'group', 'primaries', 'close'])
}
