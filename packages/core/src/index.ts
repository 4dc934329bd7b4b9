export type { ErrorCode, RediskitErrorOptions } from './errors.js'
export { isRediskitError, RediskitError } from './errors.js'
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
export type { ConnectionOptions, SentinelAddress, TlsOptions } from './connection-options.js'
