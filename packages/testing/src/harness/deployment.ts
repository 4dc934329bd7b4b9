import { rmSync } from 'node:fs'
import { inspect } from 'node:util'
import { untrackDir } from './cleanup.js'
import { HarnessError } from './errors.js'
import type { ManagedNode } from './node.js'
import { redactUrl } from './redact.js'
import type { RedisDeployment, RedisNode, RedisTlsMaterial, RedisTopologyName } from './types.js'
import { Deadline } from './wait.js'

/** What differs between topologies once the nodes run. */
export interface TopologyOps {
  /** After a restarted node answers PING: wait until it is back in its role (replica linked...). */
  afterRestart(deployment: Deployment, node: ManagedNode, deadline: Deadline): Promise<void>
  /** Promote a replica and wait until the deployment agrees on it. */
  failover(deployment: Deployment, deadline: Deadline): Promise<void>
}

/** Fixed facts of a deployment. */
export interface DeploymentInit {
  readonly topology: RedisTopologyName
  readonly ops: TopologyOps
  /** Deadline (ms) for each fault helper that waits. */
  readonly timeout: number
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly masterName?: string | undefined
}

/**
 * A running deployment: the nodes, the role views derived from them, and the fault helpers.
 * `util.inspect` shows no password.
 */
export class Deployment implements RedisDeployment {
  readonly topology: RedisTopologyName
  declare readonly password?: string
  declare readonly username?: string
  declare readonly masterName?: string
  declare tls?: RedisTlsMaterial
  readonly #ops: TopologyOps
  readonly #timeout: number
  /** Data nodes in display order (cluster: primaries by first slot), then sentinels. */
  #nodes: ManagedNode[] = []
  readonly #dirs: string[] = []
  #stopping: Promise<void> | undefined

  constructor(init: DeploymentInit) {
    this.topology = init.topology
    this.#ops = init.ops
    this.#timeout = init.timeout
    if (init.password !== undefined) this.password = init.password
    if (init.username !== undefined) this.username = init.username
    if (init.masterName !== undefined) this.masterName = init.masterName
  }

  /** @internal Adds a node as soon as it exists, so that `stop()` cleans it up whatever happens next. */
  addNode(node: ManagedNode): void {
    this.#nodes.push(node)
  }

  /** @internal A dir (TLS material) to remove on `stop()`. */
  addDir(dir: string): void {
    this.#dirs.push(dir)
  }

  /** @internal Puts data nodes in this order (roles must be set already). */
  reorder(order: readonly ManagedNode[]): void {
    const rest = this.#nodes.filter((n) => !order.includes(n))
    this.#nodes = [...order, ...rest]
  }

  /** @internal Every node, including killed ones. */
  get managed(): readonly ManagedNode[] {
    return this.#nodes
  }

  /** @internal Data nodes (not sentinels). */
  get dataNodes(): ManagedNode[] {
    return this.#nodes.filter((n) => n.kind === 'redis')
  }

  get nodes(): readonly RedisNode[] {
    return [...this.primaries, ...this.replicas, ...this.sentinels]
  }

  get primaries(): readonly ManagedNode[] {
    return this.#nodes.filter((n) => n.role === 'primary')
  }

  get replicas(): readonly ManagedNode[] {
    return this.#nodes.filter((n) => n.role === 'replica')
  }

  get sentinels(): readonly ManagedNode[] {
    return this.#nodes.filter((n) => n.role === 'sentinel')
  }

  get primary(): ManagedNode {
    const primary = this.primaries[0]
    if (primary === undefined)
      throw new HarnessError('E_HARNESS_START', `the ${this.topology} deployment has no primary`)
    return primary
  }

  get url(): string {
    return this.primary.url
  }

  get urls(): readonly string[] {
    return [...this.primaries, ...this.replicas].map((n) => n.url)
  }

  get addresses(): readonly string[] {
    return [...this.primaries, ...this.replicas].map((n) => n.address)
  }

  get socket(): string | undefined {
    return this.primary.socket
  }

  /** @internal Finds our node object for `node` (the same object, or one with the same port). */
  find(node: RedisNode): ManagedNode {
    this.#assertRunning()
    const found = this.#nodes.find((n) => n === node) ?? this.#nodes.find((n) => n.port === node.port)
    if (found === undefined) {
      throw new HarnessError(
        'E_HARNESS_OPTIONS',
        `${node.address} is not a node of this ${this.topology} deployment`,
      )
    }
    return found
  }

  async kill(node: RedisNode): Promise<void> {
    await this.find(node).kill()
  }

  async restart(node: RedisNode): Promise<void> {
    const managed = this.find(node)
    const deadline = new Deadline(this.#timeout)
    await managed.restart(deadline)
    await this.#ops.afterRestart(this, managed, deadline)
  }

  async pause(node: RedisNode): Promise<void> {
    this.find(node).pause()
  }

  async resume(node: RedisNode): Promise<void> {
    this.find(node).resume()
  }

  async failover(): Promise<void> {
    this.#assertRunning()
    await this.#ops.failover(this, new Deadline(this.#timeout))
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll()
    return this.#stopping
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }

  async #stopAll(): Promise<void> {
    const results = await Promise.allSettled(this.#nodes.map((n) => n.stop()))
    for (const dir of this.#dirs) {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
      untrackDir(dir)
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  #assertRunning(): void {
    if (this.#stopping !== undefined) {
      throw new HarnessError('E_HARNESS_STOPPED', `this ${this.topology} deployment was stopped`)
    }
  }

  [inspect.custom](_depth: number, options: object): string {
    const shown = {
      topology: this.topology,
      nodes: this.nodes,
      url: this.primaries.length > 0 ? redactUrl(this.url) : undefined,
      ...(this.username === undefined ? {} : { username: this.username }),
      ...(this.password === undefined ? {} : { password: '***' }),
      ...(this.masterName === undefined ? {} : { masterName: this.masterName }),
      ...(this.tls === undefined ? {} : { tls: { caFile: this.tls.caFile, certFile: this.tls.certFile } }),
    }
    return `RedisDeployment ${inspect(shown, options)}`
  }
}
