/** The shapes a Redis deployment can take. */
export type RedisTopologyName = 'standalone' | 'replicated' | 'sentinel' | 'cluster'

/** What a node does in its deployment. Cluster nodes are `primary` or `replica` too. */
export type RedisNodeRole = 'primary' | 'replica' | 'sentinel'

/** An ACL user with full rights (`on >password ~* &* +@all`); the `default` user is switched off. */
export interface RedisAclUser {
  readonly username: string
  readonly password: string
}

/** Options of {@link startRedis}. Every option applies to every node of the topology. */
export interface StartRedisOptions {
  /** Default `'standalone'`. */
  readonly topology?: RedisTopologyName
  /** `requirepass` (and `masterauth`, sentinel `auth-pass`) on every node. Not together with `acl`. */
  readonly password?: string
  /** An ACL user with full rights on every node (`masteruser`/`masterauth` too); the default user is off. */
  readonly acl?: RedisAclUser
  /** Also listen on a unix socket (`<node dir>/redis.sock`) on every data node. */
  readonly unixSocket?: boolean
  /**
   * TLS only (`port 0`, `tls-port <port>`), with a CA, server and client certificate generated at
   * start with the `openssl` CLI. Clients are not required to present a certificate.
   */
  readonly tls?: boolean
  /** Extra `redis.conf` lines for every data node (not sentinels), appended last so they win. */
  readonly config?: readonly string[]
  /** Extra `sentinel.conf` lines for every sentinel (topology `'sentinel'` only). */
  readonly sentinelConfig?: readonly string[]
  /**
   * `replicated`/`sentinel`: number of replicas of the primary (default 2).
   * `cluster`: replicas per primary (default 1, so 3 primaries + 3 replicas).
   */
  readonly replicas?: number
  /** `sentinel`: number of sentinels (default 3, quorum is a majority). */
  readonly sentinels?: number
  /** `sentinel`: the name the sentinels monitor the primary under (default `'mymaster'`). */
  readonly masterName?: string
  /**
   * Deadline in ms for starting the deployment, and for each fault helper that waits
   * (restart, failover). Default 30 000.
   */
  readonly timeout?: number
}

/** The certificates generated for a `tls: true` deployment: PEM strings and the files holding them. */
export interface RedisTlsMaterial {
  /** The CA certificate that signed the server and client certificates (PEM). */
  readonly ca: string
  /** The server certificate, valid for `127.0.0.1` and `localhost` (PEM). */
  readonly cert: string
  /** The server certificate's private key (PEM). */
  readonly key: string
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
  /** A client certificate signed by the same CA, for mutual TLS (PEM). */
  readonly clientCert: string
  /** The client certificate's private key (PEM). */
  readonly clientKey: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
}

/** One redis-server or redis-sentinel process of a deployment. */
export interface RedisNode {
  /** Current role; updated by `failover()` and `restart()`. */
  readonly role: RedisNodeRole
  /** Always `'127.0.0.1'`. */
  readonly host: string
  /** The TCP port (the TLS port when `tls: true`). Kept across `restart()`. */
  readonly port: number
  /** `"127.0.0.1:<port>"`. */
  readonly address: string
  /** `redis://` (or `rediss://`) URL with the credentials and db 0. */
  readonly url: string
  /** Unix socket path when `unixSocket: true` (data nodes only). */
  readonly socket?: string
  /** Process id of the current process; changes on `restart()`. */
  readonly pid: number
  /** The node's own temp dir (`dir` in its config, and its cwd), under `os.tmpdir()`. */
  readonly dir: string
}

/** A running deployment started by {@link startRedis}. Always `stop()` it (or `await using`). */
export interface RedisDeployment {
  readonly topology: RedisTopologyName
  /** Data nodes (primaries first, then replicas), then sentinels. */
  readonly nodes: readonly RedisNode[]
  /** The primary; in a cluster the primary of the slots starting at 0. */
  readonly primary: RedisNode
  /** All primaries (one unless cluster; cluster: ordered by their first slot). */
  readonly primaries: readonly RedisNode[]
  readonly replicas: readonly RedisNode[]
  readonly sentinels: readonly RedisNode[]
  /** `primary.url`. */
  readonly url: string
  /** URLs of the data nodes, primary first (the location list `createCache` accepts). */
  readonly urls: readonly string[]
  /** `host:port` of the data nodes, in the same order as `urls`. */
  readonly addresses: readonly string[]
  readonly password?: string
  readonly username?: string
  /** `primary.socket` when `unixSocket: true`. */
  readonly socket?: string | undefined
  /** `sentinel` topology: the monitored name. */
  readonly masterName?: string
  readonly tls?: RedisTlsMaterial
  /** SIGKILL the node and wait until it is gone. */
  kill(node: RedisNode): Promise<void>
  /** Start the node again (killing it first if needed) with the same port, config and dir; waits until it serves. */
  restart(node: RedisNode): Promise<void>
  /** SIGSTOP: the node stops answering but keeps its connections. */
  pause(node: RedisNode): Promise<void>
  /** SIGCONT a paused node. */
  resume(node: RedisNode): Promise<void>
  /** Promote a replica (sentinel: `SENTINEL FAILOVER`; cluster: `CLUSTER FAILOVER` on a replica of `primaries[0]`). */
  failover(): Promise<void>
  /** Stop every process, remove the temp dirs and port locks. Idempotent. */
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
