import { isRediskitError, RediskitError } from './errors.js'
import { inspectSymbol } from './redact.js'
import type { Driver, KeyGroup, RedisArg, RedisCommand, RedisReply, Topology } from './types.js'

/** Module-private: how a replica's reader reports a failure to its topology. */
const failed = Symbol('failed')

/** Where reads go in a primary/replica topology. */
export type ReadFrom = 'primary' | 'replica' | 'prefer-replica'

/** The values {@link ReadFrom} accepts. */
export const READ_FROM: readonly ReadFrom[] = ['primary', 'replica', 'prefer-replica']

/** How long a replica that failed a read is left out, by default (ms). */
export const DEFAULT_REPLICA_BACKOFF = 5000

/** Options of {@link ReplicatedTopology}. */
export interface ReplicatedOptions {
  /**
   * - `'primary'` (default): every read goes to the primary.
   * - `'prefer-replica'`: reads go round-robin to the replicas; a read that fails on a replica is
   *   retried on the primary.
   * - `'replica'`: reads go round-robin to the replicas; a read that fails on a replica is retried
   *   on another healthy replica, and on the primary only when no replica is left.
   *
   * Either way a replica that fails is skipped for `replicaBackoff` ms, reads go to the primary
   * while no replica is healthy, and writes always go to the primary.
   */
  readFrom?: ReadFrom | undefined
  /** How long a failed replica is skipped, in ms. Default 5000. */
  replicaBackoff?: number | undefined
  /** Close the drivers when the topology closes. Default `true`. */
  ownsDrivers?: boolean | undefined
}

/**
 * One primary and its replicas (`location: [primary, ...replicas]`). Writes, SCAN and FLUSHDB go
 * to the primary; reads follow `readFrom`. A replica that dies or freezes costs no failed read:
 * the read is retried elsewhere and the replica is skipped for a while, then tried again (its
 * driver reconnects by itself).
 */
export class ReplicatedTopology implements Topology {
  readonly kind: string = 'replicated'
  readonly readFrom: ReadFrom
  readonly #primary: Driver
  readonly #replicas: readonly Driver[]
  readonly #readers: readonly ReplicaReader[]
  readonly #primaries: readonly Driver[]
  readonly #backoff: number
  readonly #owns: boolean
  /** Replica index -> time (ms) until which it is skipped. */
  readonly #downUntil: number[]
  #down = 0
  #next = 0
  #closing: Promise<void> | undefined

  constructor(primary: Driver, replicas: readonly Driver[], options: ReplicatedOptions = {}) {
    const readFrom = options.readFrom ?? 'primary'
    if (!READ_FROM.includes(readFrom)) {
      throw new RediskitError(
        'E_CONFIG',
        `readFrom '${String(readFrom)}' is not one of ${READ_FROM.join(', ')}`,
      )
    }
    this.readFrom = readFrom
    this.#primary = primary
    this.#replicas = [...replicas]
    this.#primaries = Object.freeze([primary])
    this.#backoff = options.replicaBackoff ?? DEFAULT_REPLICA_BACKOFF
    this.#owns = options.ownsDrivers ?? true
    this.#downUntil = replicas.map(() => 0)
    this.#readers = replicas.map((replica, index) => new ReplicaReader(this, replica, index))
  }

  /** The primary's client: what `cache.client` returns (django-redis's `get_redis_connection()`). */
  get client(): unknown {
    return this.#primary.client
  }

  /** The replicas' clients, in location order. */
  get replicaClients(): unknown[] {
    return this.#replicas.map((replica) => replica.client)
  }

  nodeFor(_key: string, intent: 'read' | 'write'): Driver {
    return intent === 'write' || this.readFrom === 'primary' ? this.#primary : this.#reader()
  }

  group(keys: readonly string[], intent: 'read' | 'write'): KeyGroup[] {
    if (keys.length === 0) return []
    return [{ driver: this.nodeFor('', intent), indexes: Array.from(keys, (_, index) => index) }]
  }

  primaries(): readonly Driver[] {
    return this.#primaries
  }

  close(): Promise<void> {
    this.#closing ??= this.#owns
      ? Promise.all([this.#primary, ...this.#replicas].map((driver) => driver.close())).then(() => undefined)
      : Promise.resolve()
    return this.#closing
  }

  /** The next healthy replica (round-robin), or the primary when none is healthy. */
  #reader(exclude = -1): Driver {
    const count = this.#readers.length
    if (this.#down > 0) this.#revive()
    if (this.#down < count) {
      for (let tries = 0; tries < count; tries++) {
        const index = this.#next++ % count
        if (this.#next >= count) this.#next = 0
        if (index !== exclude && this.#downUntil[index] === 0) return this.#readers[index] as ReplicaReader
      }
    }
    return this.#primary
  }

  /**
   * Probes replicas whose backoff has passed. A replica that comes back after a restart holds no
   * data until it has synced with its primary, and would answer every read with a miss: it only
   * serves reads again once `ROLE` says its link to the primary is up.
   */
  #revive(): void {
    const now = Date.now()
    for (let index = 0; index < this.#downUntil.length; index++) {
      const until = this.#downUntil[index] ?? 0
      if (until !== 0 && until <= now) {
        this.#downUntil[index] = Number.POSITIVE_INFINITY
        void this.#probe(index)
      }
    }
  }

  async #probe(index: number): Promise<void> {
    let synced = false
    try {
      synced = isSynced(await (this.#replicas[index] as Driver).send('ROLE', []))
    } catch {
      synced = false
    }
    if (this.#closing !== undefined) return
    if (synced) {
      this.#downUntil[index] = 0
      this.#down--
    } else {
      this.#downUntil[index] = Date.now() + this.#backoff
    }
  }

  /** Called by a replica's reader when a read failed on it: skip it, pick where to retry. */
  [failed](index: number): Driver {
    if (this.#downUntil[index] === 0) {
      this.#downUntil[index] = Date.now() + this.#backoff
      this.#down++
    }
    return this.readFrom === 'replica' ? this.#reader(index) : this.#primary
  }

  [inspectSymbol](): string {
    const replicas = this.#replicas.map((replica) => `'${replica.id}'`).join(', ')
    return `${this.constructor.name} { primary: '${this.#primary.id}', replicas: [${replicas}], readFrom: '${this.readFrom}' }`
  }
}

/**
 * The driver handed out for reads on one replica: sends to the replica and, when it fails with a
 * connection-level error, reports it to the topology and retries where the topology says.
 */
class ReplicaReader implements Driver {
  readonly id: string

  constructor(
    readonly topology: ReplicatedTopology,
    readonly replica: Driver,
    readonly index: number,
  ) {
    this.id = replica.id
  }

  get client(): unknown {
    return this.replica.client
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    return this.replica.send(command, args).catch((error: unknown) => {
      if (!shouldRetryElsewhere(error)) throw error
      return this.topology[failed](this.index).send(command, args)
    })
  }

  async batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    let results: (RedisReply | Error)[]
    try {
      results = await this.replica.batch(commands)
    } catch (error) {
      if (!shouldRetryElsewhere(error)) throw error
      return this.topology[failed](this.index).batch(commands)
    }
    const retry: number[] = []
    results.forEach((result, index) => {
      if (result instanceof Error && shouldRetryElsewhere(result)) retry.push(index)
    })
    if (retry.length === 0) return results
    const again = await this.topology[failed](this.index).batch(
      retry.map((index) => commands[index] as RedisCommand),
    )
    retry.forEach((index, position) => {
      results[index] = again[position] ?? null
    })
    return results
  }

  /** The topology owns the replica's driver. */
  close(): Promise<void> {
    return Promise.resolve()
  }

  [inspectSymbol](): string {
    return `ReplicaReader { node: '${this.id}' }`
  }
}

/**
 * True when a ROLE reply says the node can serve reads: a replica whose link to its primary is up
 * (`connected`), or a primary (e.g. a replica promoted by a failover).
 */
function isSynced(role: RedisReply): boolean {
  if (!Array.isArray(role)) return false
  const kind = String(role[0])
  return kind === 'master' || (kind === 'slave' && String(role[3]) === 'connected')
}

/**
 * Failures another node can do better: the replica is unreachable, slow, speaking garbage, still
 * loading its dataset, or cut off from its primary. Error replies about the command itself
 * (WRONGTYPE, ...) and a closed topology are not retried.
 */
function shouldRetryElsewhere(error: unknown): boolean {
  if (isRediskitError(error)) {
    if (error.code === 'E_REDIS') return /^(LOADING|MASTERDOWN)\b/.test(error.message)
    return error.code === 'E_CONNECTION' || error.code === 'E_TIMEOUT' || error.code === 'E_PROTOCOL'
  }
  // A third-party driver's own error: let the primary answer.
  return true
}
