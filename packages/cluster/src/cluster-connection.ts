import type { Socket } from 'node:net'
import { type RedisArg, RediskitError, type RedisReply } from '@rediskit/core'
import { type Cluster, Command, type Redis } from 'ioredis'
import { mapClusterError } from './cluster-errors.js'
import type { NodeHealth } from './node-health.js'
import { markPrimaryOnly } from './scale-reads.js'
import { isSlotTrouble, isSplittable, splitPerKey } from './try-again.js'

/** The id of drivers while the slot map is not known yet (before the first connection). */
export const PENDING_ID = 'cluster'

/** The number of hash slots of Redis Cluster. */
export const SLOTS = 16384

/** Where a driver's commands go (drivers implement it themselves). */
export interface Route {
  /** The driver's id, for error messages. */
  readonly id: string
  /** The primary that commands without keys go to; `undefined`: any node. */
  readonly address: string | undefined
  /** Serve reads from the primary whatever `scaleReads` says. */
  readonly primary: boolean
}

/** Options of {@link ClusterConnection}. */
export interface ClusterConnectionOptions {
  /** Close the Cluster in {@link ClusterConnection.close}. */
  owned: boolean
  /** Deadline of each command in ms. */
  commandTimeout: number
  /** Deadline of {@link ClusterConnection.ready} by default. */
  connectTimeout: number
  /** Passwords to scrub from messages. */
  secrets: readonly string[]
  /** Credential-free seed addresses, named in messages before the slot map is known. */
  seeds?: readonly string[] | undefined
  /** The Cluster routes reads with rediskit's `scaleReads` function: mark the primary-only commands. */
  routesReads?: boolean | undefined
  /** Where node failures are recorded for the replica-read router. */
  health?: NodeHealth | undefined
  /**
   * Finds the real reason when the slot map cannot be loaded (ioredis only says "Failed to
   * refresh slots cache"): see {@link probeSeeds}.
   */
  diagnose?: (() => Promise<Error | undefined>) | undefined
}

/** At most one seed probe per this many ms. */
const PROBE_INTERVAL = 1000

/** A command waiting for the Cluster to be ready. */
interface Waiter {
  resolve: () => void
  fail: () => void
  timer: NodeJS.Timeout
}

const NAMES = new Map<string, string>()
/** ioredis keys its command flags on lower-case names; cache the conversion. */
function lower(name: string): string {
  let out = NAMES.get(name)
  if (out === undefined) {
    out = name.toLowerCase()
    if (NAMES.size < 1000) NAMES.set(name, out)
  }
  return out
}

/**
 * The shared state behind every driver of a cluster topology: the ioredis `Cluster`, the deadline,
 * the last connection error, the closed flag. Commands leave here: those with keys routed by the
 * Cluster (by key slot, following MOVED/ASK, replica reads per `scaleReads`), those without keys
 * (SCAN, FLUSHDB, PING...) straight to the driver's primary.
 *
 * - Every command has a deadline of `commandTimeout` ms, counted from the call.
 * - While the Cluster is not ready (connecting for the first time, or reconnecting after losing
 *   every node) commands wait here, not in ioredis's offline queue: a command that missed its
 *   deadline is then never sent later. When a connection attempt fails they fail at once with
 *   `E_CONNECTION`, and so do new commands until the Cluster is back (ioredis keeps reconnecting).
 * - The writes of one event-loop tick are corked into one socket write per node (what ioredis's
 *   auto-pipelining achieves, without a Pipeline object per tick).
 */
export class ClusterConnection {
  readonly cluster: Cluster
  readonly owned: boolean
  readonly commandTimeout: number
  readonly connectTimeout: number
  readonly #secrets: readonly string[]
  readonly #seeds: readonly string[]
  readonly #routesReads: boolean
  readonly #health: NodeHealth | undefined
  #closed = false
  #closing: Promise<void> | undefined
  #lastError: Error | undefined
  /** The pool's node connections, cached until a node joins or leaves. */
  #nodes: Redis[] | undefined
  #corked: Socket[] = []
  #corking = false
  readonly #waiters = new Set<Waiter>()
  readonly #diagnose: (() => Promise<Error | undefined>) | undefined
  /** The reason a seed probe found for the last failure to load the slot map. */
  #diagnosis: Error | undefined
  #probing: Promise<void> | undefined
  #probedAt = 0

  readonly #onError = (error: Error): void => {
    this.#lastError = error
    if (isSlotRefreshFailure(error)) this.#probe()
  }
  readonly #onReady = (): void => {
    this.#lastError = undefined
    this.#diagnosis = undefined
    this.#release((waiter) => waiter.resolve())
  }
  /** A slot map was loaded: an earlier node error is history (a new one sets it again). */
  readonly #onRefresh = (): void => {
    if (this.cluster.status === 'ready') this.#lastError = undefined
  }
  /** A connection attempt failed (or the Cluster ended): waiting commands fail now (once the probe, if any, has told why). */
  readonly #onDown = (): void => {
    const probing = this.#probing
    if (probing === undefined) this.#release((waiter) => waiter.fail())
    else void probing.then(() => this.#release((waiter) => waiter.fail()))
  }
  readonly #onNodeError = (error: Error, address: unknown): void => {
    this.#lastError = error
    if (typeof address === 'string') this.#health?.failed(address)
  }
  readonly #onNodesChanged = (): void => {
    this.#nodes = undefined
  }
  /** A node's connection ended (dead, or no longer in the slot map): skip it for replica reads a while. */
  readonly #onNodeRemoved = (redis: Redis): void => {
    this.#nodes = undefined
    this.#health?.failed(`${redis.options.host}:${redis.options.port}`)
  }
  readonly #uncork = (): void => {
    this.#corking = false
    const streams = this.#corked
    this.#corked = []
    for (const stream of streams) if (stream.writableCorked > 0) stream.uncork()
  }

  constructor(cluster: Cluster, options: ClusterConnectionOptions) {
    this.cluster = cluster
    this.owned = options.owned
    this.commandTimeout = options.commandTimeout
    this.connectTimeout = options.connectTimeout
    this.#secrets = options.secrets
    this.#seeds = options.seeds ?? []
    this.#routesReads = options.routesReads ?? false
    this.#health = options.health
    this.#diagnose = options.diagnose
    cluster.on('error', this.#onError)
    cluster.on('node error', this.#onNodeError)
    cluster.on('ready', this.#onReady)
    cluster.on('refresh', this.#onRefresh)
    cluster.on('reconnecting', this.#onDown)
    cluster.on('end', this.#onDown)
    cluster.on('+node', this.#onNodesChanged)
    cluster.on('-node', this.#onNodeRemoved)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** True once a slot map has been loaded (the first connection has completed). */
  get mapped(): boolean {
    return this.cluster.slots.length > 0
  }

  /** The address of the primary serving `slot` now, or {@link PENDING_ID} before the slot map is known. */
  ownerOf(slot: number): string {
    return this.cluster.slots[slot]?.[0] ?? PENDING_ID
  }

  /** The primaries that serve at least one slot, in slot order (the owner of slot 0 first). */
  primaryAddresses(): string[] {
    const slots = this.cluster.slots
    const found = new Set<string>()
    let previous: readonly string[] | undefined
    for (let slot = 0; slot < slots.length; slot++) {
      const nodes = slots[slot]
      // Consecutive slots of one range share one array: look at each range once.
      if (nodes === undefined || nodes === previous) continue
      previous = nodes
      const primary = nodes[0]
      if (primary !== undefined) found.add(primary)
    }
    return [...found]
  }

  /**
   * Sends one command for `route`: a command with keys through the Cluster, which routes it by
   * its first key's slot (following MOVED/ASK; a read per `scaleReads` unless `route.primary`); a
   * command without keys straight to `route.address` (any node when it has none).
   */
  send(route: Route, command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    const refused = this.#refuse(command, route)
    if (refused !== undefined) return Promise.reject(refused)
    return this.#dispatch(route, command, args).then(normalize, (error: unknown) => {
      throw this.wrap(error, command, route.id)
    })
  }

  /** Sends several commands for `route` in one tick: errors in place, one per command. */
  sendMany(
    route: Route,
    commands: readonly (readonly [string, ...RedisArg[]])[],
  ): Promise<(RedisReply | Error)[]> {
    if (commands.length === 0) return Promise.resolve([])
    const first = commands[0]?.[0] ?? 'batch'
    const refused = this.#refuse(first, route)
    if (refused !== undefined) return Promise.reject(refused)
    if (this.cluster.status === 'ready') return this.#sendAll(route, commands)
    // Not connected yet: the whole batch waits (and fails) as one.
    return this.#whenReady(first, route.id, this.commandTimeout).then(() => this.#sendAll(route, commands))
  }

  /**
   * Resolves when a command could be sent now: at once when the Cluster is ready, else once it is
   * (connecting it if needed). Rejects like a command would: `E_CLOSED`, or `E_CONNECTION` at once
   * while the cluster is known to be down, or after `commandTimeout`.
   */
  prepare(command: string, node: string = PENDING_ID): Promise<void> {
    const refused = this.#refuse(command, { id: node, address: undefined, primary: true })
    if (refused !== undefined) return Promise.reject(refused)
    if (this.cluster.status === 'ready') return Promise.resolve()
    return this.#whenReady(command, node, this.commandTimeout)
  }

  /** The connection to the node at `address` ('host:port'), if the Cluster has one. */
  nodeAt(address: string): Redis | undefined {
    for (const redis of this.#pool()) {
      if (`${redis.options.host}:${redis.options.port}` === address) return redis
    }
    return undefined
  }

  /**
   * Resolves once the Cluster is connected and has its slot map (connecting it if it has not
   * started), across reconnection attempts; rejects with `E_CONNECTION` (or `E_TIMEOUT`) when that
   * does not happen within `timeout` ms, and with `E_CLOSED` after close.
   */
  ready(timeout: number = this.connectTimeout): Promise<void> {
    const cluster = this.cluster
    const closed = this.#closedError('CONNECT')
    if (closed !== undefined) return Promise.reject(closed)
    if (cluster.status === 'ready') return Promise.resolve()
    if (cluster.status === 'wait') cluster.connect().catch(() => undefined)
    return new Promise<void>((resolve, reject) => {
      const done = (error?: RediskitError): void => {
        clearTimeout(timer)
        cluster.off('ready', onReady)
        cluster.off('end', onEnd)
        if (error === undefined) resolve()
        else reject(error)
      }
      const onReady = (): void => done()
      const onEnd = (): void =>
        done(this.#closedError('CONNECT') ?? this.#unreachable('CONNECT', PENDING_ID, timeout))
      const timer = setTimeout(() => done(this.#unreachable('CONNECT', PENDING_ID, timeout)), timeout)
      cluster.on('ready', onReady)
      cluster.on('end', onEnd)
    })
  }

  /** Maps an error of a command to a RediskitError (see {@link mapClusterError}). */
  wrap(error: unknown, command: string, node: string): RediskitError {
    const closed = this.#closedError(command, node)
    if (closed !== undefined) return closed
    return mapClusterError(error, {
      command,
      node,
      where: this.#describe(node),
      timeout: this.commandTimeout,
      secrets: this.#secrets,
      lastError: this.#reason(),
      down: this.cluster.status !== 'ready',
    })
  }

  /** Closes the Cluster if it is ours (QUIT, then disconnect); idempotent. */
  close(): Promise<void> {
    this.#closed = true
    this.#release((waiter) => waiter.fail())
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    const cluster = this.cluster
    if (!this.owned) {
      this.#detach()
      return
    }
    // Our listeners stay on an owned Cluster: ioredis may still report its sockets' last errors.
    if (cluster.status === 'end') return
    if (cluster.status === 'wait') {
      cluster.disconnect()
      return
    }
    if (cluster.status === 'ready') {
      // QUIT lets in-flight replies arrive; each node's QUIT has the command deadline.
      await cluster.quit().catch(() => undefined)
    }
    if (statusOf(cluster) === 'end') return
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.commandTimeout + 2500)
      cluster.once('end', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    cluster.disconnect()
    // Between reconnection attempts there is no connection left to end: ioredis then stays
    // 'disconnecting' (no socket, no timer) and never emits 'end'.
    if (statusOf(cluster) === 'end' || cluster.nodes('all').length === 0) return
    await ended
  }

  #detach(): void {
    const cluster = this.cluster
    cluster.off('error', this.#onError)
    cluster.off('node error', this.#onNodeError)
    cluster.off('ready', this.#onReady)
    cluster.off('refresh', this.#onRefresh)
    cluster.off('reconnecting', this.#onDown)
    cluster.off('end', this.#onDown)
    cluster.off('+node', this.#onNodesChanged)
    cluster.off('-node', this.#onNodeRemoved)
  }

  /** Sends now when the Cluster is ready; otherwise once it is, within the deadline. */
  #dispatch(route: Route, name: string, args: readonly RedisArg[]): Promise<RedisReply | undefined> {
    if (this.cluster.status === 'ready') return this.#send(route, name, args, this.commandTimeout)
    const started = performance.now()
    return this.#whenReady(name, route.id, this.commandTimeout).then(() =>
      this.#send(route, name, args, Math.max(1, this.commandTimeout - (performance.now() - started))),
    )
  }

  #sendAll(
    route: Route,
    commands: readonly (readonly [string, ...RedisArg[]])[],
  ): Promise<(RedisReply | Error)[]> {
    if (commands.length === 1) {
      // The common case (one MGET per slot group): no array of promises to build.
      const [name, ...args] = commands[0] as readonly [string, ...RedisArg[]]
      return this.#send(route, name, args, this.commandTimeout).then(
        (reply) => [normalize(reply)],
        (error: unknown) => [this.wrap(error, name, route.id)],
      )
    }
    return Promise.all(
      commands.map(([name, ...args]) =>
        this.#send(route, name, args, this.commandTimeout).then(normalize, (error: unknown) =>
          this.wrap(error, name, route.id),
        ),
      ),
    )
  }

  /**
   * {@link #sendOne}, and for a multi-key command that ioredis gave up on because its slot is being
   * migrated (TRYAGAIN, redirections exhausted), the same work key by key within what is left of
   * the deadline (see try-again.ts).
   */
  #send(
    route: Route,
    name: string,
    args: readonly RedisArg[],
    timeout: number,
  ): Promise<RedisReply | undefined> {
    const lowered = lower(name)
    const sent = this.#sendOne(route, lowered, args, timeout)
    if (!isSplittable(lowered, args)) return sent
    const started = performance.now()
    return sent.catch((error: unknown) => {
      const left = timeout - (performance.now() - started)
      if (!isSlotTrouble(error) || left < 1) throw error
      return splitPerKey(lowered, args, (single, singleArgs) =>
        this.#sendOne(route, single, singleArgs, left),
      )
    })
  }

  #sendOne(
    route: Route,
    name: string,
    args: readonly RedisArg[],
    timeout: number,
  ): Promise<RedisReply | undefined> {
    const command = new Command(lower(name), args as RedisArg[], { replyEncoding: null })
    command.setTimeout(timeout)
    const address = route.address
    if (address !== undefined && command.getKeys().length === 0) {
      const redis = this.nodeAt(address)
      if (redis === undefined) {
        return Promise.reject(
          new RediskitError(
            'E_CONNECTION',
            `cannot reach Redis Cluster node ${address}: it is not connected (it failed, or left the slot map); retry once the cluster has failed over`,
            { details: { node: route.id, command: name } },
          ),
        )
      }
      this.#cork()
      redis.sendCommand(command)
      return command.promise as Promise<RedisReply | undefined>
    }
    if (route.primary && this.#routesReads) markPrimaryOnly(command)
    this.#cork()
    this.cluster.sendCommand(command)
    return command.promise as Promise<RedisReply | undefined>
  }

  /**
   * Waits until the Cluster is ready (connecting it if nothing has yet). Fails with the connection
   * error as soon as a connection attempt fails, with `E_TIMEOUT` (or the last connection error)
   * after `timeout` ms, and with `E_CLOSED` on close.
   */
  #whenReady(command: string, node: string, timeout: number): Promise<void> {
    const cluster = this.cluster
    if (cluster.status === 'wait') cluster.connect().catch(() => undefined)
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        fail: () => reject(this.#closedError(command, node) ?? this.#unreachable(command, node, timeout)),
        timer: setTimeout(() => {
          this.#waiters.delete(waiter)
          reject(this.#closedError(command, node) ?? this.#unreachable(command, node, timeout))
        }, timeout),
      }
      this.#waiters.add(waiter)
    })
  }

  #release(settle: (waiter: Waiter) => void): void {
    if (this.#waiters.size === 0) return
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const waiter of waiters) {
      clearTimeout(waiter.timer)
      settle(waiter)
    }
  }

  #pool(): Redis[] {
    this.#nodes ??= this.cluster.nodes('all')
    return this.#nodes
  }

  /** Corks every connected node's socket until the next tick: the tick's writes leave as one. */
  #cork(): void {
    if (this.#corking) return
    this.#corking = true
    for (const redis of this.#pool()) {
      const stream = redis.stream as Socket | undefined
      if (redis.status === 'ready' && stream !== undefined) {
        stream.cork()
        this.#corked.push(stream)
      }
    }
    process.nextTick(this.#uncork)
  }

  /** Fails fast when the command cannot be sent: closed, or the whole cluster known unreachable. */
  #refuse(command: string, route: Route): RediskitError | undefined {
    const closed = this.#closedError(command, route.id)
    if (closed !== undefined) return closed
    const status = this.cluster.status
    const reason = this.#reason()
    if ((status === 'reconnecting' || status === 'close') && reason !== undefined) {
      return this.wrap(reason, command, route.id)
    }
    return undefined
  }

  #closedError(command: string, node: string = PENDING_ID): RediskitError | undefined {
    if (this.#closed) {
      return new RediskitError('E_CLOSED', 'the cluster topology is closed', { details: { node, command } })
    }
    if (this.cluster.status === 'end' && !this.owned) {
      return new RediskitError('E_CLOSED', 'the ioredis Cluster was closed by its owner', {
        details: { node, command },
      })
    }
    return undefined
  }

  /** The last connection error, or what the seed probe found out about it. */
  #reason(): Error | undefined {
    const last = this.#lastError
    if (last !== undefined && this.#diagnosis !== undefined && isSlotRefreshFailure(last))
      return this.#diagnosis
    return last
  }

  /** Starts a seed probe (one at a time, at most one per second). */
  #probe(): void {
    const diagnose = this.#diagnose
    if (diagnose === undefined || this.#probing !== undefined || this.#closed) return
    const now = Date.now()
    if (now - this.#probedAt < PROBE_INTERVAL) return
    this.#probedAt = now
    this.#probing = diagnose().then(
      (error) => {
        this.#diagnosis = error
        this.#probing = undefined
      },
      () => {
        this.#probing = undefined
      },
    )
  }

  /** How messages name a node: its address, or the seeds before the slot map is known. */
  #describe(node: string): string {
    if (node !== PENDING_ID) return `Redis Cluster node ${node}`
    return this.#seeds.length > 0 ? `Redis Cluster (seed nodes ${this.#seeds.join(', ')})` : 'Redis Cluster'
  }

  /** The Cluster did not become ready: the last connection error, or a timeout. */
  #unreachable(command: string, node: string, timeout: number): RediskitError {
    const last = this.#reason()
    if (last !== undefined) return this.wrap(last, command, node)
    return new RediskitError(
      'E_TIMEOUT',
      `${command} on ${this.#describe(node)} timed out after ${timeout} ms: the cluster was not ready (connecting)`,
      { details: { node, command } },
    )
  }
}

/** ioredis's errors when no seed node gave it the slot map (the cause is not in them). */
function isSlotRefreshFailure(error: Error): boolean {
  return error.name === 'ClusterAllFailedError' || error.message.startsWith('None of startup nodes')
}

/** The status, read afresh (awaits change it behind the type checker's back). */
function statusOf(cluster: Cluster): string {
  return cluster.status
}

/** Buffer-mode replies as rediskit types them (ioredis may hand back `undefined` for some nils). */
function normalize(reply: RedisReply | undefined): RedisReply {
  return reply === undefined ? null : reply
}
