import type { Driver, KeyGroup, Topology } from '@rediskit/core'
import type { Cluster } from 'ioredis'
import { AllPrimariesDriver } from './all-primaries-driver.js'
import type { ClusterConnection } from './cluster-connection.js'
import type { ScaleReads } from './cluster-options.js'
import { hashSlot } from './hash-slot.js'
import { PendingSlotDriver } from './pending-slot-driver.js'
import { ShardDriver } from './shard-driver.js'

/**
 * A {@link Topology} over a Redis Cluster (an ioredis `Cluster`):
 *
 * - `nodeFor(key)` hands out the driver of the shard serving the key's hash slot (a
 *   {@link ShardDriver}, id = its primary's address); its commands are routed by the Cluster by
 *   key, so MOVED, ASK and failovers are ioredis's business.
 * - `group(keys)` splits keys per **hash slot**, so one MGET / UNLINK / MSET per group never meets
 *   CROSSSLOT. Groups of one shard share its driver; their commands leave in one socket write.
 * - `primaries()` lists one driver per primary serving slots, read from the slot map at each call
 *   (so it follows failovers); before the first connection it is one driver standing for all of
 *   them (see {@link AllPrimariesDriver}).
 */
export class ClusterTopology implements Topology {
  readonly kind = 'cluster'
  /** Where reads of `'read'`-intent drivers go. */
  readonly scaleReads: ScaleReads
  readonly #connection: ClusterConnection
  readonly #seeds: readonly string[]
  readonly #primaryDrivers = new Map<string, ShardDriver>()
  readonly #readDrivers = new Map<string, ShardDriver>()
  readonly #pending: readonly Driver[]
  readonly #primaryDriver = (address: string): ShardDriver => {
    let driver = this.#primaryDrivers.get(address)
    if (driver === undefined) {
      driver = new ShardDriver(this.#connection, address, 'master')
      this.#primaryDrivers.set(address, driver)
    }
    return driver
  }

  /**
   * @param connection the Cluster and its shared state
   * @param scaleReads where reads go (`'master'` for a Cluster passed as `client`: its own
   *   `scaleReads` applies to every read then)
   * @param seeds credential-free seed addresses, for `inspect`
   */
  constructor(connection: ClusterConnection, scaleReads: ScaleReads, seeds: readonly string[] = []) {
    this.#connection = connection
    this.scaleReads = scaleReads
    this.#seeds = seeds
    this.#pending = Object.freeze([new AllPrimariesDriver(connection, this.#primaryDriver)])
  }

  /** The ioredis `Cluster` (for `cache.client`). Mind that its `options` hold the password. */
  get client(): Cluster {
    return this.#connection.cluster
  }

  /** The hash slot of a key (CRC16 of the key, or of its `{hash tag}`), 0..16383. */
  slotOf(key: string): number {
    return hashSlot(key)
  }

  nodeFor(key: string, intent: 'read' | 'write'): Driver {
    return this.#driverOf(hashSlot(key), intent)
  }

  group(keys: readonly string[], intent: 'read' | 'write'): KeyGroup[] {
    const groups: KeyGroup[] = []
    if (keys.length === 0) return groups
    if (keys.length === 1) return [{ driver: this.nodeFor(keys[0] as string, intent), indexes: [0] }]
    const bySlot = new Map<number, number[]>()
    for (let index = 0; index < keys.length; index++) {
      const slot = hashSlot(keys[index] as string)
      const indexes = bySlot.get(slot)
      if (indexes !== undefined) {
        indexes.push(index)
      } else {
        const created = [index]
        bySlot.set(slot, created)
        groups.push({ driver: this.#driverOf(slot, intent), indexes: created })
      }
    }
    return groups
  }

  primaries(): readonly Driver[] {
    if (!this.#connection.mapped) return this.#pending
    return this.#connection.primaryAddresses().map(this.#primaryDriver)
  }

  /**
   * Connects (if nothing has yet) and resolves once the slot map is loaded: for a health check at
   * start-up. Rejects with `E_CONNECTION` / `E_TIMEOUT` after `timeout` ms (default
   * `connectTimeout`). Not needed otherwise: every command connects on demand.
   */
  ready(timeout?: number): Promise<void> {
    return this.#connection.ready(timeout)
  }

  /** Closes the Cluster if `cluster()` created it (never one passed as `client`); idempotent. */
  close(): Promise<void> {
    return this.#connection.close()
  }

  #driverOf(slot: number, intent: 'read' | 'write'): Driver {
    const reads = intent === 'write' ? 'master' : this.scaleReads
    const owner = this.#connection.cluster.slots[slot]?.[0]
    if (owner === undefined) return new PendingSlotDriver(this.#connection, slot, reads)
    if (reads === 'master') return this.#primaryDriver(owner)
    let driver = this.#readDrivers.get(owner)
    if (driver === undefined) {
      driver = new ShardDriver(this.#connection, owner, reads)
      this.#readDrivers.set(owner, driver)
    }
    return driver
  }

  /** `util.inspect` shows the seeds and the state, never the client (its options hold the password). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const c = this.#connection
    const seeds = this.#seeds.length > 0 ? `[${this.#seeds.map((s) => `'${s}'`).join(', ')}]` : '(client)'
    const status = c.closed ? 'closed' : c.cluster.status
    return `ClusterTopology { nodes: ${seeds}, scaleReads: '${this.scaleReads}', status: '${status}', owned: ${c.owned} }`
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      nodes: [...this.#seeds],
      scaleReads: this.scaleReads,
      owned: this.#connection.owned,
    }
  }
}
