import { Redis } from 'ioredis'
import type { ConnectionOptions, SentinelAddress } from './connection-options.js'
import { RediskitError } from './errors.js'
import { IoredisDriver } from './ioredis-driver.js'
import { baseIoredisOptions, type IoredisOptions, tlsOptions } from './ioredis-options.js'
import { parseLocation } from './location.js'
import { maskLocation } from './redact.js'
import { type ReadFrom, ReplicatedTopology } from './replicated.js'

/** The port a sentinel address without one uses. */
export const DEFAULT_SENTINEL_PORT = 26379

/** Options of {@link sentinelTopology}: the connection options with `sentinels` and `name` required. */
export type SentinelOptions = ConnectionOptions & {
  sentinels: readonly SentinelAddress[]
  name: string
}

/**
 * A primary/replica set managed by Redis Sentinel. Works like {@link ReplicatedTopology} (same
 * `readFrom`, same replica fallback) with `kind` 'sentinel'.
 */
export class SentinelTopology extends ReplicatedTopology {
  override readonly kind: string = 'sentinel'
  /** The sentinel master name. */
  readonly name: string

  constructor(name: string, primary: IoredisDriver, replicas: readonly IoredisDriver[], readFrom: ReadFrom) {
    super(primary, replicas, { readFrom })
    this.name = name
  }
}

/**
 * Connects through Redis Sentinel (ioredis's sentinel support): the primary is looked up by its
 * master `name` and followed after a failover without restarting the process. With `readFrom`
 * other than 'primary', a second client reads from a replica that the sentinels name.
 *
 * Failover: when the old primary drops its clients, commands fail fast (`E_CONNECTION`) while
 * ioredis asks the sentinels for the new primary and reconnects; a write that reaches a demoted
 * primary (READONLY) makes the client reconnect as well.
 */
export function sentinelTopology(options: SentinelOptions): SentinelTopology {
  if (options.sentinels.length === 0) {
    throw new RediskitError('E_CONFIG', 'sentinels is empty: give at least one sentinel address')
  }
  if (typeof options.name !== 'string' || options.name === '') {
    throw new RediskitError('E_CONFIG', 'sentinels need the master name: set `name`')
  }
  const sentinels = options.sentinels.map(sentinelAddress)
  const base0 = baseIoredisOptions(options)
  const base: IoredisOptions = {
    ...base0,
    sentinels,
    name: options.name,
    db: options.db ?? 0,
    // A demoted primary answers writes with READONLY: reconnect, the sentinels know the new one.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
    // Sentinel lookups must not outlive the command deadline either.
    sentinelCommandTimeout: base0.connectTimeout,
    sentinelRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
  }
  if (options.username !== undefined) base.username = options.username
  if (options.password !== undefined) base.password = options.password
  if (options.sentinelUsername !== undefined) base.sentinelUsername = options.sentinelUsername
  if (options.sentinelPassword !== undefined) base.sentinelPassword = options.sentinelPassword
  if (options.tls !== undefined) {
    base.tls = tlsOptions(options.tls, undefined)
    // TLS to the data nodes; the sentinels themselves are reached in plain TCP.
    base.enableTLSForSentinelMode = true
  }
  const timeout = options.commandTimeout
  const primary = new IoredisDriver(new Redis({ ...base, role: 'master' }), {
    id: `sentinel:${options.name}`,
    owned: true,
    commandTimeout: timeout,
  })
  const readFrom = options.readFrom ?? 'primary'
  const replicas =
    readFrom === 'primary'
      ? []
      : [
          new IoredisDriver(new Redis({ ...base, role: 'slave' }), {
            id: `sentinel:${options.name}:replica`,
            owned: true,
            commandTimeout: timeout,
          }),
        ]
  return new SentinelTopology(options.name, primary, replicas, readFrom)
}

function sentinelAddress(address: SentinelAddress): { host: string; port: number } {
  if (typeof address !== 'string') return { host: address.host, port: address.port }
  const [parsed] = parseLocation(address)
  if (parsed === undefined || parsed.kind !== 'tcp') {
    throw new RediskitError('E_CONFIG', `sentinel address '${maskLocation(address)}' must be host:port`)
  }
  const explicitPort = /(^|[^:]):\d+(?=$|[/?])/.test(address)
  return { host: parsed.host, port: explicitPort ? parsed.port : DEFAULT_SENTINEL_PORT }
}
