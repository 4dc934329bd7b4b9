import type { TlsOptions } from '@rediskit/core'
import type { RespValue } from './resp-types.js'

/** Options of {@link nativeDriver}. Credentials and db in the location win over these. */
export interface NativeDriverOptions {
  /** Password when the location has none. */
  password?: string | undefined
  /** ACL user name when the location has none. */
  username?: string | undefined
  /** Database (SELECT) when the location has none. Default 0. */
  db?: number | undefined
  /** TLS settings; giving them makes a `host:port` location use TLS (a `redis://` one is refused). */
  tls?: TlsOptions | undefined
  /** Milliseconds to establish a connection: TCP/TLS plus the HELLO/AUTH/SELECT handshake. Default 5000. */
  connectTimeout?: number | undefined
  /**
   * Deadline of every command in milliseconds, counted from `send()`/`batch()` (time waiting for
   * the connection included). Default 1000.
   */
  commandTimeout?: number | undefined
  /**
   * RESP version to ask for. `3` (default) sends `HELLO 3` and falls back to RESP2 (with AUTH) on
   * servers older than Redis 6; `2` never sends HELLO.
   */
  protocol?: 2 | 3 | undefined
  /** CLIENT SETNAME on every connection (shows in CLIENT LIST). */
  clientName?: string | undefined
  /** Most commands waiting while a connection is being set up; beyond it they fail at once with `E_CONNECTION`. Default 10,000. */
  offlineQueueLimit?: number | undefined
  /**
   * Milliseconds to wait before reconnection attempt `attempt` (1, 2, ...). Default: 50 ms
   * doubling up to 1 s, plus up to 50 ms of jitter; it never gives up.
   */
  reconnectDelay?: ((attempt: number) => number) | undefined
  /** TCP keep-alive initial delay in ms, or `false` to turn keep-alive off. Default 30,000. */
  keepAlive?: number | false | undefined
  /** Receives RESP3 push frames (client-side caching invalidations...). Default: dropped. */
  onPush?: ((push: RespValue[]) => void) | undefined
  /** Credential-free name of the endpoint in messages. Default: the location's address. */
  id?: string | undefined
}
