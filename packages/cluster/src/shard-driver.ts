import type { Driver, RedisArg, RedisCommand, RedisReply } from '@rediskit/core'
import type { Cluster } from 'ioredis'
import type { ClusterConnection, Route } from './cluster-connection.js'
import type { ScaleReads } from './cluster-options.js'

/**
 * The driver of one shard of the cluster, named after its primary: what `nodeFor`, `group` and
 * `primaries()` hand out once the slot map is known.
 *
 * - Commands **with keys** go through the ioredis Cluster, which routes each by its first key's
 *   slot, follows MOVED and ASK, and retries during a failover. So a key that moved to another
 *   shard since the driver was handed out is still found.
 * - Commands **without keys** (SCAN, FLUSHDB, DBSIZE, PING...) go straight to this primary: that
 *   is how SCAN and `clear()` walk every primary.
 * - Every command has the topology's deadline; the writes of one tick leave in one socket write
 *   per node, so `batch` is one round trip; each of its commands is routed on its own.
 *
 * A primary's driver (`reads: 'master'`, id = the primary's address, e.g. `'127.0.0.1:7000'`)
 * serves writes, and reads as well when `scaleReads` is `'master'`. With `scaleReads: 'slave'` or
 * `'all'`, reads get a driver of their own per shard (id `'<primary address>/slave'` or `/all`)
 * whose read-only commands go to the replicas (or any node) of the key's slot.
 */
export class ShardDriver implements Driver, Route {
  readonly id: string
  /** The shard's primary ('host:port' as the slot map names it). */
  readonly address: string
  /** Where this driver's read-only commands go. */
  readonly reads: ScaleReads
  readonly primary: boolean
  readonly #connection: ClusterConnection

  constructor(connection: ClusterConnection, address: string, reads: ScaleReads = 'master') {
    this.#connection = connection
    this.address = address
    this.reads = reads
    this.primary = reads === 'master'
    this.id = this.primary ? address : `${address}/${reads}`
  }

  /** The ioredis Cluster (the primary's own connection: `cluster.client.nodes('master')`). */
  get client(): Cluster {
    return this.#connection.cluster
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    return this.#connection.send(this, command, args)
  }

  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    return this.#connection.sendMany(this, commands)
  }

  /** The topology owns the connections: closing one shard's driver does nothing. */
  close(): Promise<void> {
    return Promise.resolve()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ShardDriver { id: '${this.id}' }`
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id }
  }
}
