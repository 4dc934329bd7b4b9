/** TLS settings for `rediss://` locations (certificates are verified unless told otherwise). */
export interface TlsOptions {
  /** CA certificate(s), PEM. Defaults to Node's trusted roots. */
  ca?: string | Buffer | readonly (string | Buffer)[] | undefined
  /** Client certificate and key, PEM, for servers that require them (tls-auth-clients yes). */
  cert?: string | Buffer | undefined
  key?: string | Buffer | undefined
  /** Defaults to `true`. Turning it off is for tests only. */
  rejectUnauthorized?: boolean | undefined
  /** SNI / certificate host name, when it differs from the host connected to. */
  servername?: string | undefined
}

/** Where a sentinel listens. */
export type SentinelAddress = string | { host: string; port: number }

/** Options that say where Redis is and how to reach it; part of `createCache` options. */
export interface ConnectionOptions {
  /**
   * A location string, a list, or a comma-separated string. With several, the first is the primary
   * and the rest are replicas. Forms: `redis://[user][:password@]host[:port][/db]`, `rediss://...`,
   * `unix:///path.sock[?db=N]`, `/path.sock`, `host:port`, `host:port/db`, `:password@host:port/db`.
   */
  location?: string | readonly string[] | undefined
  /** An existing ioredis `Redis` (or `Cluster`) instance. The cache never closes it. */
  client?: unknown
  /** Sentinel addresses; with `name`, the primary is found (and followed after failover) through them. */
  sentinels?: readonly SentinelAddress[] | undefined
  /** The sentinel master name. */
  name?: string | undefined
  /** Password/username for the sentinels themselves (the data nodes take theirs from `location`/`password`). */
  sentinelPassword?: string | undefined
  sentinelUsername?: string | undefined
  /** Credentials and db when not given in the location (a location's own win). */
  password?: string | undefined
  username?: string | undefined
  db?: number | undefined
  tls?: TlsOptions | undefined
  /** Milliseconds to establish a connection. Default 5000. */
  connectTimeout?: number | undefined
  /** Deadline in milliseconds for every cache operation. Default 1000. */
  commandTimeout?: number | undefined
  /** Where reads go in a primary/replica topology. Default 'primary'. */
  readFrom?: 'primary' | 'replica' | 'prefer-replica' | undefined
}
