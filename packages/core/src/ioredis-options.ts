import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { RedisOptions } from 'ioredis'
import type { ConnectionOptions, TlsOptions } from './connection-options.js'
import type { RedisLocation } from './location.js'

/**
 * ioredis's `RedisOptions` without `replyMapping` (rediskit always uses the legacy mapping, and
 * ioredis's constructor types reject an explicit `undefined` there under exactOptionalPropertyTypes).
 */
export type IoredisOptions = Omit<RedisOptions, 'replyMapping'>

/** Default milliseconds to establish a connection. */
export const DEFAULT_CONNECT_TIMEOUT = 5000
/** Default deadline in milliseconds of one command. */
export const DEFAULT_COMMAND_TIMEOUT = 1000
/** Longest pause between two reconnection attempts. */
export const MAX_RECONNECT_DELAY = 1000

/**
 * Reconnection backoff: 50 ms doubling up to {@link MAX_RECONNECT_DELAY}, plus up to 50 ms of jitter.
 * It never gives up: a cache recovers by itself once Redis is back.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY) + Math.floor(Math.random() * 50)
}

/**
 * The ioredis options rediskit runs with. The choices, and why:
 *
 * - `lazyConnect`: creating a cache never blocks and never throws for an unreachable server; the
 *   connection opens with the first command.
 * - `commandTimeout`: every command has a deadline (the driver also arms it on each command).
 * - `maxRetriesPerRequest: 0`: when a connection drops, the commands waiting on it fail at once
 *   (`E_CONNECTION`) instead of queueing until some later reconnection.
 * - `autoResendUnfulfilledCommands: false`: a command already reported as failed is never sent
 *   again behind the caller's back (an INCRBY must not run twice).
 * - `enableOfflineQueue: true`: commands issued while the (first) connection is being set up wait
 *   for it, bounded by `commandTimeout`.
 * - `retryStrategy`: reconnect forever with a short capped backoff ({@link reconnectDelay}).
 */
export function baseIoredisOptions(options: ConnectionOptions): IoredisOptions {
  return {
    lazyConnect: true,
    connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    commandTimeout: options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
  }
}

/** Node TLS options from rediskit's {@link TlsOptions}; certificates are verified by default. */
export function tlsOptions(tls: TlsOptions | undefined, host: string | undefined): TlsConnectionOptions {
  const out: TlsConnectionOptions = { rejectUnauthorized: tls?.rejectUnauthorized ?? true }
  if (tls?.ca !== undefined)
    out.ca = typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? tls.ca : [...tls.ca]
  if (tls?.cert !== undefined) out.cert = tls.cert
  if (tls?.key !== undefined) out.key = tls.key
  // Node refuses an IP address as SNI name; it checks the certificate's IP SANs without one.
  const servername = tls?.servername ?? (host !== undefined && isIp(host) ? undefined : host)
  if (servername !== undefined) out.servername = servername
  return out
}

/** ioredis options to reach one parsed location. */
export function ioredisOptionsFor(location: RedisLocation, options: ConnectionOptions): IoredisOptions {
  const out: IoredisOptions = { ...baseIoredisOptions(options), db: location.db }
  if (location.username !== undefined) out.username = location.username
  if (location.password !== undefined) out.password = location.password
  if (location.kind === 'unix') {
    out.path = location.path
  } else {
    out.host = location.host
    out.port = location.port
    if (location.tls) out.tls = tlsOptions(options.tls, location.host)
  }
  return out
}

function isIp(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)
}
