import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import {
  type ConnectionOptions,
  parseLocation,
  RediskitError,
  type RedisLocation,
  type TlsOptions,
} from '@rediskit/core'
import type { Cluster, ClusterOptions as IoredisClusterOptions } from 'ioredis'

/** ioredis's per-node options inside a Cluster, without `replyMapping` (rediskit needs the legacy one). */
export type IoredisNodeOptions = Omit<NonNullable<IoredisClusterOptions['redisOptions']>, 'replyMapping'>

/** ioredis `Cluster` options rediskit lets you add (see {@link ClusterOptions.clusterOptions}). */
export type IoredisClusterExtras = Omit<IoredisClusterOptions, 'scaleReads' | 'redisOptions'> & {
  redisOptions?: IoredisNodeOptions | undefined
}

/** Where reads go: ioredis's `scaleReads` roles. */
export type ScaleReads = 'master' | 'slave' | 'all'

/** A seed node of the cluster: a location string or a host and port. */
export type ClusterNodeAddress = string | { host: string; port: number }

/** Options of {@link cluster}. */
export interface ClusterOptions
  extends Omit<
    ConnectionOptions,
    'location' | 'client' | 'sentinels' | 'name' | 'sentinelPassword' | 'sentinelUsername' | 'readFrom'
  > {
  /**
   * Seed nodes: `'127.0.0.1:7000'`, `'redis://:password@10.0.0.5:7000'`, `'rediss://...'`, a
   * comma-separated string of them, or `{ host, port }`. Any reachable node of the cluster will do:
   * the rest (primaries, replicas, the slot map) is discovered from it. Credentials and TLS
   * apply to every node. Give `nodes` or `client`, not both.
   */
  nodes?: string | readonly ClusterNodeAddress[] | undefined
  /**
   * Your own ioredis `Cluster`. It is never closed by rediskit and keeps its own options (its
   * `scaleReads` included); each command still gets the `commandTimeout` deadline.
   */
  client?: Cluster | undefined
  /**
   * Where reads go (ioredis's names): `'master'` (default) every command to the slot's primary;
   * `'slave'` reads to one of its replicas (the primary when it has none that is up); `'all'`
   * reads to the primary or a replica at random. Writes always go to the primary, and so do reads
   * through a driver taken with `nodeFor(key, 'write')`. Not with `client` (set it on your
   * Cluster).
   */
  scaleReads?: ScaleReads | undefined
  /**
   * Extra ioredis `Cluster` options (e.g. `natMap`, `dnsLookup`, `slotsRefreshInterval`), applied
   * over rediskit's defaults. Options that rediskit relies on for its deadlines and routing
   * (`lazyConnect`, `scaleReads`, `redisOptions.commandTimeout`...) are best left alone.
   */
  clusterOptions?: IoredisClusterExtras | undefined
}

/** Default deadline of one command (ms). */
export const DEFAULT_COMMAND_TIMEOUT = 1000
/** Default time to establish a connection (ms). */
export const DEFAULT_CONNECT_TIMEOUT = 5000
/** Default interval of the background slot-map refresh (ms). */
export const DEFAULT_SLOTS_REFRESH_INTERVAL = 5000

/** A seed node after parsing: where it is, and its (credential-free) address. */
export interface SeedNode {
  host: string
  port: number
  address: string
}

/** Everything {@link cluster} derived from its options to create an ioredis Cluster. */
export interface ClusterPlan {
  seeds: SeedNode[]
  username: string | undefined
  password: string | undefined
  tls: boolean
  commandTimeout: number
  connectTimeout: number
  scaleReads: ScaleReads
}

const SCALE_READS: readonly ScaleReads[] = ['master', 'slave', 'all']

/**
 * Checks the options and parses the seed nodes.
 *
 * @throws RediskitError `E_CONFIG` naming the bad option, never echoing a password.
 */
export function planCluster(options: ClusterOptions): ClusterPlan {
  if (typeof options !== 'object' || options === null) {
    throw new RediskitError('E_CONFIG', 'cluster() needs options: { nodes: [...] } or { client }')
  }
  const extra = options as Record<string, unknown>
  for (const name of ['location', 'sentinels', 'name', 'readFrom'] as const) {
    if (extra[name] !== undefined) {
      const hint = name === 'readFrom' ? ' (use scaleReads)' : name === 'location' ? ' (use nodes)' : ''
      throw new RediskitError('E_CONFIG', `cluster() does not take \`${name}\`${hint}`)
    }
  }
  const commandTimeout = positive(options.commandTimeout, 'commandTimeout', DEFAULT_COMMAND_TIMEOUT)
  const connectTimeout = positive(options.connectTimeout, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT)
  const scaleReads = options.scaleReads ?? 'master'
  if (!SCALE_READS.includes(scaleReads)) {
    throw new RediskitError(
      'E_CONFIG',
      `scaleReads must be 'master', 'slave' or 'all', got ${JSON.stringify(String(scaleReads))}`,
    )
  }
  if (options.db !== undefined && options.db !== 0) {
    throw new RediskitError('E_CONFIG', `Redis Cluster has only database 0, got db ${String(options.db)}`)
  }
  if (options.client !== undefined) {
    if (options.nodes !== undefined) {
      throw new RediskitError('E_CONFIG', 'give cluster() either nodes or client, not both')
    }
    if (!isCluster(options.client)) {
      throw new RediskitError('E_CONFIG', 'cluster({ client }) needs an ioredis Cluster instance')
    }
    for (const name of [
      'scaleReads',
      'password',
      'username',
      'tls',
      'clusterOptions',
      'connectTimeout',
    ] as const) {
      if (options[name] !== undefined) {
        throw new RediskitError(
          'E_CONFIG',
          `cluster({ client }) takes ${name} from your Cluster's own options; do not pass it here`,
        )
      }
    }
    return {
      seeds: [],
      username: undefined,
      password: undefined,
      tls: false,
      commandTimeout,
      connectTimeout,
      scaleReads,
    }
  }
  const seeds = parseSeeds(options)
  return { ...seeds, commandTimeout, connectTimeout, scaleReads }
}

function parseSeeds(options: ClusterOptions): Pick<ClusterPlan, 'seeds' | 'username' | 'password' | 'tls'> {
  const { nodes } = options
  if (nodes === undefined || (typeof nodes !== 'string' && !Array.isArray(nodes))) {
    throw new RediskitError(
      'E_CONFIG',
      "cluster() needs nodes (e.g. ['127.0.0.1:7000']) or client (an ioredis Cluster)",
    )
  }
  const list: readonly ClusterNodeAddress[] = typeof nodes === 'string' ? [nodes] : nodes
  if (list.length === 0) throw new RediskitError('E_CONFIG', 'cluster() needs at least one node')
  const defaults = {
    username: options.username,
    password: options.password,
    tls: options.tls !== undefined,
  }
  const locations: RedisLocation[] = []
  list.forEach((node, index) => {
    if (typeof node === 'string') {
      locations.push(...parseLocation(node, defaults))
    } else if (
      typeof node === 'object' &&
      node !== null &&
      typeof node.host === 'string' &&
      Number.isInteger(node.port)
    ) {
      const host = node.host.includes(':') && !node.host.startsWith('[') ? `[${node.host}]` : node.host
      locations.push(...parseLocation(`${host}:${node.port}`, defaults))
    } else {
      throw new RediskitError(
        'E_CONFIG',
        `cluster() node #${index} is neither a location string nor { host, port }`,
      )
    }
  })
  const seeds: SeedNode[] = []
  let username: string | undefined
  let password: string | undefined
  let tls: boolean | undefined
  for (const location of locations) {
    if (location.kind !== 'tcp') {
      throw new RediskitError(
        'E_CONFIG',
        `Redis Cluster nodes are reached over TCP; ${location.address} is a unix socket`,
      )
    }
    if (location.db !== 0) {
      throw new RediskitError(
        'E_CONFIG',
        `Redis Cluster has only database 0; ${location.address} asks for db ${location.db}`,
      )
    }
    if (location.username !== undefined) {
      if (username !== undefined && username !== location.username) {
        throw new RediskitError('E_CONFIG', 'all cluster nodes must use the same user name')
      }
      username = location.username
    }
    if (location.password !== undefined) {
      if (password !== undefined && password !== location.password) {
        throw new RediskitError('E_CONFIG', 'all cluster nodes must use the same password')
      }
      password = location.password
    }
    if (tls !== undefined && tls !== location.tls) {
      throw new RediskitError(
        'E_CONFIG',
        'mixing rediss:// and plain nodes: every cluster node uses TLS, or none does',
      )
    }
    tls = location.tls
    // Brackets are for URLs; ioredis and the slot map name IPv6 hosts bare.
    const host = location.host.startsWith('[') ? location.host.slice(1, -1) : location.host
    seeds.push({ host, port: location.port, address: location.address })
  }
  return { seeds, username, password, tls: tls ?? false }
}

/**
 * The ioredis `Cluster` options rediskit runs with (see the README, "Failures"):
 * lazy, a deadline on every command, dropped connections fail their commands at once, never
 * resend a failed command, reconnect forever with a short backoff, and a periodic slot-map refresh
 * so that a failover or resharding is noticed even by an idle process.
 */
export function ioredisClusterOptions(
  plan: ClusterPlan,
  options: ClusterOptions,
  scaleReads: IoredisClusterOptions['scaleReads'],
): Omit<IoredisClusterOptions, 'redisOptions'> & { redisOptions: IoredisNodeOptions } {
  const redisOptions: IoredisNodeOptions = {
    connectTimeout: plan.connectTimeout,
    commandTimeout: plan.commandTimeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  }
  if (plan.username !== undefined) redisOptions.username = plan.username
  if (plan.password !== undefined) redisOptions.password = plan.password
  if (plan.tls) redisOptions.tls = tlsOptions(options.tls)
  const extra = options.clusterOptions ?? {}
  return {
    lazyConnect: true,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    // A multi-key command meeting a slot migration (TRYAGAIN) is retried quickly, so that ioredis
    // gives up (after maxRedirections) well within the deadline and rediskit can split it per key.
    retryDelayOnTryAgain: tryAgainDelay(plan.commandTimeout),
    retryDelayOnMoved: 0,
    slotsRefreshTimeout: Math.min(plan.commandTimeout, 1000),
    slotsRefreshInterval: DEFAULT_SLOTS_REFRESH_INTERVAL,
    clusterRetryStrategy: reconnectDelay,
    ...extra,
    redisOptions: { ...redisOptions, ...extra.redisOptions },
    scaleReads,
  }
}

/** TRYAGAIN retry delay: 16 retries fit in half the deadline (at most 100 ms, at least 1). */
export function tryAgainDelay(commandTimeout: number): number {
  return Math.max(1, Math.min(100, Math.floor(commandTimeout / 2 / 16)))
}

/** Reconnection backoff: 50 ms doubling up to 1 s, plus up to 50 ms of jitter; never gives up. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), 1000) + Math.floor(Math.random() * 50)
}

/**
 * Node TLS options; certificates are verified by default. Without `servername` each node is checked
 * against its own host (an IP address is matched to the certificate's IP SANs).
 */
function tlsOptions(tls: TlsOptions | undefined): TlsConnectionOptions {
  const out: TlsConnectionOptions = { rejectUnauthorized: tls?.rejectUnauthorized ?? true }
  if (tls?.ca !== undefined)
    out.ca = typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? tls.ca : [...tls.ca]
  if (tls?.cert !== undefined) out.cert = tls.cert
  if (tls?.key !== undefined) out.key = tls.key
  if (tls?.servername !== undefined) out.servername = tls.servername
  return out
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RediskitError('E_CONFIG', `${name} must be a positive number of ms, got ${String(value)}`)
  }
  return value
}

/** True for an ioredis `Cluster` (also one from another copy of ioredis). */
export function isCluster(value: unknown): value is Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isCluster?: unknown }).isCluster === true &&
    typeof (value as { sendCommand?: unknown }).sendCommand === 'function' &&
    typeof (value as { nodes?: unknown }).nodes === 'function'
  )
}
