import type { Driver, RedisArg, RedisCommand, RedisReply } from '@rediskit/core'
import type { Cluster } from 'ioredis'
import { type ClusterConnection, PENDING_ID, type Route } from './cluster-connection.js'
import type { ScaleReads } from './cluster-options.js'

/**
 * The driver of one hash slot, handed out by `nodeFor` / `group` while the slot map is not known
 * yet (before the first connection). Its commands go through the Cluster like a
 * {@link ShardDriver}'s (the first one connects it). Its `id` is `'cluster'` until the slot map
 * is loaded, then the id of the slot's {@link ShardDriver}, so a driver taken before the first
 * command names the same node as one taken after.
 */
export class PendingSlotDriver implements Driver, Route {
  readonly slot: number
  readonly reads: ScaleReads
  readonly primary: boolean
  readonly #connection: ClusterConnection

  constructor(connection: ClusterConnection, slot: number, reads: ScaleReads) {
    this.#connection = connection
    this.slot = slot
    this.reads = reads
    this.primary = reads === 'master'
  }

  get id(): string {
    const owner = this.#connection.ownerOf(this.slot)
    if (owner === PENDING_ID || this.primary) return owner
    return `${owner}/${this.reads}`
  }

  /** The slot's primary once known: commands without keys go there (before, to any node). */
  get address(): string | undefined {
    const owner = this.#connection.ownerOf(this.slot)
    return owner === PENDING_ID ? undefined : owner
  }

  get client(): Cluster {
    return this.#connection.cluster
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    return this.#connection.send(this, command, args)
  }

  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    return this.#connection.sendMany(this, commands)
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PendingSlotDriver { slot: ${this.slot}, id: '${this.id}' }`
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, slot: this.slot }
  }
}
