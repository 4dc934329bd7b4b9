export type {
  CacheSetup,
  ClearOptions,
  Entries,
  GetOrSetOptions,
  ScanOptions,
  SetOptions,
  VersionOption,
  WriteOptions,
} from './cache.js'
export { Cache, DEFAULT_LOCK_TTL } from './cache.js'
export type { CircuitBreakerOptions, CircuitChange } from './circuit-breaker.js'
export { CIRCUIT_DEFAULTS, CircuitBreaker } from './circuit-breaker.js'
export type { ConnectionOptions, SentinelAddress, TlsOptions } from './connection-options.js'
export type { CacheOptions } from './create-cache.js'
export { createCache } from './create-cache.js'
export type { DecodedEntry, EnvelopeOptions } from './envelope.js'
export { Envelope, FLAG_SOFT_EXPIRY, FRAME_MAGIC, FRAME_VERSION } from './envelope.js'
export type { ErrorCode, RediskitErrorOptions } from './errors.js'
export { isRediskitError, RediskitError } from './errors.js'
export type { CacheEvent, CacheEvents } from './events.js'
export { escapeGlob, globToRegExp } from './glob.js'
export { identityCompressor } from './identity-compressor.js'
export type { IoredisDriverOptions } from './ioredis-driver.js'
export { IoredisDriver, ioredisDriver } from './ioredis-driver.js'
export { jsonSerializer } from './json.js'
export type { KeyFunction, KeyPattern } from './keys.js'
export { defaultKeyFunction, KeyBuilder } from './keys.js'
export type { LocationDefaults, RedisLocation, TcpLocation, UnixLocation } from './location.js'
export { DEFAULT_PORT, parseLocation } from './location.js'
export type { LockBackend, LockOptions } from './lock.js'
export { Lock } from './lock.js'
export type { MemoryStoreOptions } from './memory-store.js'
export { MemoryStore } from './memory-store.js'
export { NullStore } from './null-store.js'
export type { OnError, OnValue, SendCommand } from './read-batcher.js'
export { ReadBatcher } from './read-batcher.js'
export { redact } from './redact.js'
export type { RedisStoreOptions } from './redis-store.js'
export { RedisStore } from './redis-store.js'
export type { ReadFrom, ReplicatedOptions } from './replicated.js'
export { ReplicatedTopology } from './replicated.js'
export type { SentinelOptions } from './sentinel.js'
export { SentinelTopology, sentinelTopology } from './sentinel.js'
export { SingleFlight } from './single-flight.js'
export {
  describeSocketError,
  isAuthFailure,
  scrubError,
  socketErrorText,
  TLS_FAILURE,
} from './socket-errors.js'
export type { StandaloneOptions } from './standalone.js'
export { StandaloneTopology } from './standalone.js'
export type { CacheStats, OpLatency } from './stats.js'
export { createTopology } from './topology-factory.js'
export { parseTtl } from './ttl.js'
export type {
  Compressor,
  Driver,
  KeyGroup,
  Logger,
  RedisArg,
  RedisCommand,
  RedisReply,
  Serializer,
  Store,
  StoreScanOptions,
  StoreSetOptions,
  Topology,
  Ttl,
} from './types.js'
