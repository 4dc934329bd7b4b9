import {
  type ConnectionOptions,
  type Driver,
  type ErrorCode,
  ioredisDriver,
  isRediskitError,
  type KeyGroup,
  type RedisArg,
  type RedisCommand,
  RediskitError,
  type RedisReply,
  type Topology,
} from '@rediskit/core'
import { HashRing } from './hash-ring.js'

/** One shard: a location string, a ready Driver, or either with an explicit id and weight. */
export type ShardNode =
  | string
  | Driver
  | { location: string; id?: string | undefined; weight?: number | undefined }
  | { driver: Driver; id?: string | undefined; weight?: number | undefined }

/** Options of {@link sharded}. */
export interface ShardedOptions
  extends Omit<ConnectionOptions, 'location' | 'client' | 'sentinels' | 'name'> {
  /** The shards. A node's identity on the ring is its `host:port` (or socket path), or its `id`. */
  nodes: readonly ShardNode[]
  /** Points per node on the ring (ketama's 160 by default). */
  vnodes?: number | undefined
  /** Relative weights: by position in `nodes`, or by node id. Default 1 each. */
  weights?: readonly number[] | Readonly<Record<string, number>> | undefined
  /** Hash only the `{tag}` part of keys that have one. Default true. */
  hashTags?: boolean | undefined
  /**
   * Take a failing node off the ring: after `failures` consecutive connection errors or timeouts it
   * is ejected for `retryAfter` ms (its keys map to the other nodes meanwhile), then put back; one
   * more failure ejects it again. Off by default: ejection remaps keys, so two processes that
   * disagree on which nodes are up read and write different nodes (see the README).
   */
  autoEject?: boolean | { failures?: number | undefined; retryAfter?: number | undefined } | undefined
}

const FAILURE_CODES: ReadonlySet<ErrorCode> = new Set(['E_CONNECTION', 'E_TIMEOUT'])

interface Shard {
  id: string
  weight: number
  driver: Driver
  owned: boolean
}

/**
 * A Topology that spreads keys over independent Redis servers with a consistent-hash ring
 * ({@link HashRing}). Single-key commands go to the key's owner; multi-key commands are split per
 * node by {@link ShardedTopology.group}; SCAN, clear and flush fan out to every node.
 */
export class ShardedTopology implements Topology {
  readonly kind = 'sharded'
  readonly #shards: readonly Shard[]
  readonly #byId: ReadonlyMap<string, number>
  readonly #fullRing: HashRing
  /** The ring in use: the full ring, or one without the ejected nodes. */
  #ring: HashRing
  /** For each position of `#ring.nodes`, the shard index. */
  #ringShard: number[]
  /** What `nodeFor`/`group` hand out, by shard index (drivers, or failure-tracking wrappers). */
  readonly #handles: readonly Driver[]
  readonly #primaries: readonly Driver[]
  readonly #eject: { failures: number; retryAfter: number } | undefined
  readonly #failures: number[]
  readonly #ejectedUntil: number[]
  #ejected = 0
  #closing: Promise<void> | undefined

  constructor(shards: readonly Shard[], options: Pick<ShardedOptions, 'vnodes' | 'hashTags' | 'autoEject'>) {
    this.#shards = shards
    this.#byId = new Map(shards.map((s, i) => [s.id, i]))
    this.#fullRing = new HashRing(
      shards.map((s) => ({ id: s.id, weight: s.weight })),
      { vnodes: options.vnodes, hashTags: options.hashTags },
    )
    this.#ring = this.#fullRing
    this.#ringShard = this.#mapRing(this.#ring)
    this.#eject = ejectOptions(options.autoEject)
    this.#failures = shards.map(() => 0)
    this.#ejectedUntil = shards.map(() => 0)
    this.#handles = this.#eject
      ? shards.map((s, i) => new TrackedDriver(s.driver, this, i))
      : shards.map((s) => s.driver)
    this.#primaries = Object.freeze([...this.#handles])
  }

  /** The ring currently in use (without ejected nodes). */
  get ring(): HashRing {
    this.#rejoin()
    return this.#ring
  }

  /** The underlying clients (ioredis instances), by node id. */
  get client(): ReadonlyMap<string, unknown> {
    return new Map(this.#shards.map((s) => [s.id, s.driver.client]))
  }

  /** Node ids currently ejected by `autoEject`. */
  ejected(): string[] {
    this.#rejoin()
    return this.#shards.filter((_, i) => this.#ejectedUntil[i]! > 0).map((s) => s.id)
  }

  nodeFor(key: string, _intent: 'read' | 'write'): Driver {
    if (this.#ejected > 0) this.#rejoin()
    return this.#handles[this.#ringShard[this.#ring.indexOf(key)]!]!
  }

  group(keys: readonly string[], _intent: 'read' | 'write'): KeyGroup[] {
    if (this.#ejected > 0) this.#rejoin()
    const ring = this.#ring
    const byShard: (number[] | undefined)[] = new Array(this.#shards.length)
    for (let i = 0; i < keys.length; i++) {
      const shard = this.#ringShard[ring.indexOf(keys[i]!)]!
      const list = byShard[shard]
      if (list === undefined) byShard[shard] = [i]
      else list.push(i)
    }
    const groups: KeyGroup[] = []
    for (let s = 0; s < byShard.length; s++) {
      const indexes = byShard[s]
      if (indexes !== undefined) groups.push({ driver: this.#handles[s]!, indexes })
    }
    return groups
  }

  primaries(): readonly Driver[] {
    return this.#primaries
  }

  close(): Promise<void> {
    this.#closing ??= Promise.all(this.#shards.filter((s) => s.owned).map((s) => s.driver.close())).then(
      () => {},
    )
    return this.#closing
  }

  /** Called by the failure-tracking wrappers (autoEject only). */
  report(shard: number, error: unknown): void {
    const eject = this.#eject
    if (eject === undefined) return
    if (error === undefined) {
      this.#failures[shard] = 0
      return
    }
    if (!isRediskitError(error) || !FAILURE_CODES.has(error.code)) return
    const failures = this.#failures[shard]! + 1
    this.#failures[shard] = failures
    if (
      failures >= eject.failures &&
      this.#ejectedUntil[shard] === 0 &&
      this.#ejected < this.#shards.length - 1
    ) {
      this.#ejectedUntil[shard] = Date.now() + eject.retryAfter
      this.#ejected++
      this.#rebuild()
    }
  }

  #rejoin(): void {
    if (this.#ejected === 0) return
    const now = Date.now()
    let changed = false
    for (let i = 0; i < this.#ejectedUntil.length; i++) {
      const until = this.#ejectedUntil[i]!
      if (until > 0 && until <= now) {
        this.#ejectedUntil[i] = 0
        this.#ejected--
        // Back on probation: one more failure ejects it again.
        this.#failures[i] = (this.#eject?.failures ?? 1) - 1
        changed = true
      }
    }
    if (changed) this.#rebuild()
  }

  #rebuild(): void {
    let ring = this.#fullRing
    this.#shards.forEach((s, i) => {
      if (this.#ejectedUntil[i]! > 0) ring = ring.without(s.id)
    })
    this.#ring = ring
    this.#ringShard = this.#mapRing(ring)
  }

  #mapRing(ring: HashRing): number[] {
    return ring.nodes.map((n) => this.#byId.get(n.id)!)
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ShardedTopology { nodes: [${this.#shards.map((s) => `'${s.id}'`).join(', ')}] }`
  }
}

/** Passes commands through and tells the topology whether the node answered. */
class TrackedDriver implements Driver {
  readonly id: string
  readonly #inner: Driver
  readonly #topology: ShardedTopology
  readonly #shard: number

  constructor(inner: Driver, topology: ShardedTopology, shard: number) {
    this.id = inner.id
    this.#inner = inner
    this.#topology = topology
    this.#shard = shard
  }

  get client(): unknown {
    return this.#inner.client
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    return this.#inner.send(command, args).then(
      (reply) => {
        this.#topology.report(this.#shard, undefined)
        return reply
      },
      (error: unknown) => {
        this.#topology.report(this.#shard, error)
        throw error
      },
    )
  }

  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    return this.#inner.batch(commands).then(
      (replies) => {
        this.#topology.report(this.#shard, undefined)
        return replies
      },
      (error: unknown) => {
        this.#topology.report(this.#shard, error)
        throw error
      },
    )
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

function ejectOptions(
  value: ShardedOptions['autoEject'],
): { failures: number; retryAfter: number } | undefined {
  if (value === undefined || value === false) return undefined
  const given = value === true ? {} : value
  const failures = given.failures ?? 3
  const retryAfter = given.retryAfter ?? 30_000
  if (!Number.isInteger(failures) || failures < 1) {
    throw new RediskitError(
      'E_CONFIG',
      `autoEject.failures must be a positive integer, got ${String(failures)}`,
    )
  }
  if (!Number.isFinite(retryAfter) || retryAfter <= 0) {
    throw new RediskitError(
      'E_CONFIG',
      `autoEject.retryAfter must be a positive number of ms, got ${String(retryAfter)}`,
    )
  }
  return { failures, retryAfter }
}

function isDriver(value: unknown): value is Driver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Driver).send === 'function' &&
    typeof (value as Driver).batch === 'function'
  )
}

function weightOf(options: ShardedOptions, index: number, id: string, own: number | undefined): number {
  if (own !== undefined) return own
  const w = options.weights
  if (w === undefined) return 1
  if (Array.isArray(w)) return (w as readonly number[])[index] ?? 1
  return (w as Readonly<Record<string, number>>)[id] ?? 1
}

/**
 * A sharded topology over several independent Redis servers:
 * `createCache({ topology: sharded({ nodes: ['redis://a:6379', 'redis://b:6379'] }) })`.
 * Locations are parsed here (a bad one throws `E_CONFIG`); connections are lazy.
 */
export function sharded(options: ShardedOptions): ShardedTopology {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.nodes)) {
    throw new RediskitError('E_CONFIG', 'sharded() needs { nodes: [...] }: locations or drivers')
  }
  if (options.nodes.length === 0) throw new RediskitError('E_CONFIG', 'sharded() needs at least one node')
  const { nodes, vnodes, weights: _w, hashTags, autoEject, ...connection } = options
  const created: Driver[] = []
  try {
    const shards = nodes.map((node, index): Shard => {
      if (isDriver(node))
        return {
          id: node.id,
          weight: weightOf(options, index, node.id, undefined),
          driver: node,
          owned: false,
        }
      if (typeof node === 'string') {
        const driver = connect(node, connection, created)
        return { id: driver.id, weight: weightOf(options, index, driver.id, undefined), driver, owned: true }
      }
      if (typeof node === 'object' && node !== null && 'driver' in node && isDriver(node.driver)) {
        const id = node.id ?? node.driver.id
        return { id, weight: weightOf(options, index, id, node.weight), driver: node.driver, owned: false }
      }
      if (
        typeof node === 'object' &&
        node !== null &&
        'location' in node &&
        typeof node.location === 'string'
      ) {
        const driver = connect(node.location, connection, created)
        const id = node.id ?? driver.id
        return { id, weight: weightOf(options, index, id, node.weight), driver, owned: true }
      }
      throw new RediskitError(
        'E_CONFIG',
        `sharded() node #${index} is neither a location string nor a driver`,
      )
    })
    return new ShardedTopology(shards, { vnodes, hashTags, autoEject })
  } catch (error) {
    for (const d of created) void d.close()
    throw error
  }
}

function connect(location: string, connection: ConnectionOptions, created: Driver[]): Driver {
  const driver = ioredisDriver(location, connection)
  created.push(driver)
  return driver
}
