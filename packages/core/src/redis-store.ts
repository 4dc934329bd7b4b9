import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitChange,
  checkCircuitOptions,
} from './circuit-breaker.js'
import { isRediskitError, RediskitError } from './errors.js'
import { ReadBatcher } from './read-batcher.js'
import { inspectSymbol } from './redact.js'
import type {
  Driver,
  KeyGroup,
  RedisArg,
  RedisCommand,
  RedisReply,
  Store,
  StoreScanOptions,
  StoreSetOptions,
  Topology,
} from './types.js'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The per-operation deadline (ms) the store runs under. RedisStore arms no timer of its own:
   * every driver bounds each command (see the Driver contract) and the Cache bounds each
   * operation; the value is kept for batching, which must fail coalesced calls in time.
   */
  commandTimeout?: number | undefined
  /** Close the topology in {@link RedisStore.close}. Default `true`. */
  ownsTopology?: boolean | undefined
  /**
   * Coalesce the single-key reads (`get`) of one tick into one MGET per node (per hash slot in a
   * cluster). Default `true`. Results and errors stay per call; see the package README.
   */
  batching?: boolean | undefined
  /**
   * One circuit breaker per node: after `failures` consecutive connection/timeout failures within
   * `window` ms, calls to that node fail fast with `E_CIRCUIT_OPEN` for `coolDown` ms, then one
   * probe decides. Default on (`{ failures: 10, window: 10000, coolDown: 1000 }`); `false` turns it off.
   */
  circuitBreaker?: CircuitBreakerOptions | false | undefined
}

/** Keys per MGET / UNLINK / MSET command: larger lists are split, still one round trip per node. */
export const CHUNK_SIZE = 1000
/** Default COUNT hint of one SCAN step. */
export const DEFAULT_SCAN_COUNT = 250

/** Deletes a lease only if `token` still holds it. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
/** Extends a lease only if `token` still holds it. */
const EXTEND_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`

interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

const RELEASE = script(RELEASE_SCRIPT)
const EXTEND = script(EXTEND_SCRIPT)

/**
 * The {@link Store} over Redis: each primitive is one Redis command (or one pipeline per node)
 * routed through a {@link Topology}.
 *
 * | method | Redis |
 * |---|---|
 * | get / getMany | GET / MGET per node (chunks of 1000 keys, one round trip per node); the `get`s of one tick coalesced into MGETs ({@link ReadBatcher}) |
 * | set | SET with PX / NX / XX / KEEPTTL |
 * | setMany | MSET (no TTL) or SET ... PX per key, one pipeline per node |
 * | delete / deleteMany | UNLINK |
 * | has / ttl | EXISTS / PTTL (-2 -> undefined, -1 -> null) |
 * | expire / expireAt / persist | PEXPIRE / PEXPIREAT / PERSIST + EXISTS (true when the key exists) |
 * | incr | INCRBY |
 * | scan | SCAN MATCH COUNT on every primary (never KEYS); each key reported once |
 * | flush | FLUSHDB on every primary |
 * | leases | SET NX PX; token-checked release / extend in Lua (EVALSHA, EVAL on NOSCRIPT) |
 */
export class RedisStore implements Store {
  readonly kind = 'redis'
  /** See {@link RedisStoreOptions.commandTimeout}. */
  readonly commandTimeout: number | undefined
  /** True when single-key reads are coalesced (see {@link RedisStoreOptions.batching}). */
  readonly batching: boolean
  readonly #topology: Topology
  readonly #owns: boolean
  readonly #batcher: ReadBatcher | undefined
  readonly #circuit: CircuitBreakerOptions | false
  /** One breaker per node, by driver id (drivers a topology creates per call share their node's). */
  readonly #breakers = new Map<string, CircuitBreaker>()
  readonly #circuitListeners = new Set<(change: CircuitChange) => void>()
  #closed = false
  #closing: Promise<void> | undefined

  constructor(topology: Topology, options: RedisStoreOptions = {}) {
    this.#topology = topology
    this.#owns = options.ownsTopology ?? true
    this.commandTimeout = options.commandTimeout
    this.#circuit = checkCircuitOptions(options.circuitBreaker)
    this.batching = options.batching ?? true
    this.#batcher = this.batching
      ? new ReadBatcher(topology, (driver, command, args) => this.#send(driver, command, args))
      : undefined
  }

  /** The topology the store routes through. */
  get topology(): Topology {
    return this.#topology
  }

  /** The underlying client(s): the topology's (the ioredis instance for a standalone topology). */
  get client(): unknown {
    return this.#topology.client
  }

  get(key: string): Promise<Buffer | undefined> {
    if (this.#closed) return Promise.reject(closedError())
    if (this.#batcher !== undefined) return this.#batcher.get(key)
    return this.#getOne(key)
  }

  /** {@link get} through callbacks (see `Store.getWith`): the cache's hot path. */
  getWith(
    key: string,
    onValue: (value: Buffer | undefined) => void,
    onError: (error: unknown) => void,
  ): void {
    if (this.#closed) onError(closedError())
    else if (this.#batcher !== undefined) this.#batcher.enqueue(key, onValue, onError)
    else this.#getOne(key).then(onValue, onError)
  }

  async #getOne(key: string): Promise<Buffer | undefined> {
    return toValue(await this.#send(this.#node(key, 'read'), 'GET', [key]))
  }

  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    const out = new Array<Buffer | undefined>(keys.length).fill(undefined)
    if (keys.length === 0) return Promise.resolve(out)
    if (this.#closed) return Promise.reject(closedError())
    let groups: KeyGroup[]
    try {
      groups = this.#topology.group(keys, 'read')
    } catch (error) {
      return Promise.reject(error)
    }
    const only = groups.length === 1 ? groups[0] : undefined
    if (only !== undefined && only.indexes.length <= CHUNK_SIZE) {
      // The common case: one node, one MGET, no pipeline bookkeeping.
      const { driver, indexes } = only
      const args = new Array<string>(indexes.length)
      for (let i = 0; i < indexes.length; i++) args[i] = keys[indexes[i] as number] as string
      return this.#send(driver, 'MGET', args).then((values) => {
        if (!Array.isArray(values) || values.length !== indexes.length) throw protocolError('MGET', values)
        for (let i = 0; i < indexes.length; i++) out[indexes[i] as number] = toValue(values[i] ?? null)
        return out
      })
    }
    return this.#getGroups(keys, groups, out)
  }

  async #getGroups(
    keys: readonly string[],
    groups: readonly KeyGroup[],
    out: (Buffer | undefined)[],
  ): Promise<(Buffer | undefined)[]> {
    const settled = await Promise.allSettled(
      groups.map(async ({ driver, indexes }) => {
        const chunks = chunk(indexes, CHUNK_SIZE)
        const commands = chunks.map(
          (part): RedisCommand => ['MGET', ...part.map((index) => keys[index] as string)],
        )
        const replies = await this.#batch(driver, commands)
        chunks.forEach((part, c) => {
          const values = replies[c]
          if (values instanceof Error) throw values
          if (!Array.isArray(values) || values.length !== part.length) {
            throw protocolError('MGET', values)
          }
          part.forEach((index, position) => {
            out[index] = toValue(values[position] ?? null)
          })
        })
      }),
    )
    return withPartialFailure(settled, groups, out, 'getMany')
  }

  set(key: string, value: Buffer, options: StoreSetOptions = {}): Promise<boolean> {
    const args: RedisArg[] = [key, value]
    const { ttl, nx, xx, keepTtl } = options
    try {
      if (nx === true && xx === true) throw new TypeError('set: nx and xx exclude each other')
      if (ttl !== undefined) {
        if (keepTtl === true) throw new TypeError('set: ttl and keepTtl exclude each other')
        args.push('PX', milliseconds(ttl, 'set'))
      } else if (keepTtl === true) {
        args.push('KEEPTTL')
      }
    } catch (error) {
      return Promise.reject(error)
    }
    if (nx === true) args.push('NX')
    else if (xx === true) args.push('XX')
    return this.#one(key, 'write', 'SET', args, isWritten)
  }

  async setMany(entries: readonly (readonly [string, Buffer])[], ttl?: number): Promise<void> {
    if (entries.length === 0) return
    this.#check()
    this.#batcher?.flush()
    const px = ttl === undefined ? undefined : milliseconds(ttl, 'setMany')
    const keys = entries.map(([key]) => key)
    await Promise.all(
      this.#topology.group(keys, 'write').map(async ({ driver, indexes }) => {
        let commands: RedisCommand[]
        if (px === undefined) {
          commands = chunk(indexes, CHUNK_SIZE).map((part): RedisCommand => {
            const args: RedisArg[] = []
            for (const index of part) {
              const [key, value] = entries[index] as readonly [string, Buffer]
              args.push(key, value)
            }
            return ['MSET', ...args]
          })
        } else {
          commands = indexes.map((index): RedisCommand => {
            const [key, value] = entries[index] as readonly [string, Buffer]
            return ['SET', key, value, 'PX', px]
          })
        }
        const replies = await this.#batch(driver, commands)
        const failure = replies.find((reply): reply is Error => reply instanceof Error)
        if (failure !== undefined) throw failure
      }),
    )
  }

  delete(key: string): Promise<boolean> {
    return this.#one(key, 'write', 'UNLINK', [key], isUnlinked)
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0
    this.#check()
    this.#batcher?.flush()
    const counts = await Promise.all(
      this.#topology.group(keys, 'write').map(async ({ driver, indexes }) => {
        const commands = chunk(indexes, CHUNK_SIZE).map(
          (part): RedisCommand => ['UNLINK', ...part.map((index) => keys[index] as string)],
        )
        const replies = await this.#batch(driver, commands)
        return replies.reduce<number>((sum, reply) => {
          if (reply instanceof Error) throw reply
          return sum + toInteger(reply, 'UNLINK')
        }, 0)
      }),
    )
    return counts.reduce((sum, count) => sum + count, 0)
  }

  has(key: string): Promise<boolean> {
    return this.#one(key, 'read', 'EXISTS', [key], exists)
  }

  async ttl(key: string): Promise<number | null | undefined> {
    const ms = toInteger(await this.#send(this.#node(key, 'read'), 'PTTL', [key]), 'PTTL')
    if (ms === -2) return undefined
    if (ms === -1) return null
    return ms
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const reply = await this.#send(this.#node(key, 'write'), 'PEXPIRE', [key, milliseconds(ttl, 'expire')])
    return toInteger(reply, 'PEXPIRE') === 1
  }

  async expireAt(key: string, timestamp: number): Promise<boolean> {
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      throw new TypeError('expireAt: timestamp must be a finite number (epoch ms)')
    }
    const reply = await this.#send(this.#node(key, 'write'), 'PEXPIREAT', [key, Math.round(timestamp)])
    return toInteger(reply, 'PEXPIREAT') === 1
  }

  /** PERSIST answers 0 both for a missing key and a key without expiry: EXISTS, in the same round trip, tells them apart. */
  async persist(key: string): Promise<boolean> {
    this.#check()
    const [persisted, exists] = await this.#batch(this.#node(key, 'write'), [
      ['PERSIST', key],
      ['EXISTS', key],
    ])
    if (persisted instanceof Error) throw persisted
    if (exists instanceof Error) throw exists
    return toInteger(exists ?? null, 'EXISTS') > 0
  }

  async incr(key: string, by: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new TypeError(`incr: by must be a safe integer, got ${by}`)
    return toInteger(await this.#send(this.#node(key, 'write'), 'INCRBY', [key, by]), 'INCRBY')
  }

  async *scan(pattern: string, options: StoreScanOptions = {}): AsyncIterableIterator<string[]> {
    this.#check()
    const count = options.count ?? DEFAULT_SCAN_COUNT
    // SCAN may return a key more than once (while the table is rehashed): report each once.
    const seen = new Set<string>()
    for (const driver of this.#topology.primaries()) {
      let cursor = '0'
      do {
        this.#check()
        const reply = await this.#send(driver, 'SCAN', [cursor, 'MATCH', pattern, 'COUNT', count])
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
          throw protocolError('SCAN', reply)
        cursor = toText(reply[0] ?? null)
        const batch: string[] = []
        for (const item of reply[1]) {
          const key = toText(item)
          if (!seen.has(key)) {
            seen.add(key)
            batch.push(key)
          }
        }
        if (batch.length > 0) yield batch
      } while (cursor !== '0')
    }
  }

  async flush(): Promise<void> {
    this.#check()
    this.#batcher?.flush()
    await Promise.all(this.#topology.primaries().map((driver) => this.#send(driver, 'FLUSHDB', [])))
  }

  async acquireLease(key: string, token: string, ttl: number): Promise<boolean> {
    const px = milliseconds(ttl, 'acquireLease')
    return (await this.#send(this.#node(key, 'write'), 'SET', [key, token, 'NX', 'PX', px])) !== null
  }

  async releaseLease(key: string, token: string): Promise<boolean> {
    return toInteger(await this.#eval(RELEASE, key, [token]), 'EVALSHA') === 1
  }

  async extendLease(key: string, token: string, ttl: number): Promise<boolean> {
    const px = milliseconds(ttl, 'extendLease')
    return toInteger(await this.#eval(EXTEND, key, [token, px]), 'EVALSHA') === 1
  }

  /**
   * Listens to circuit changes of this store's nodes (a circuit opened or closed); returns a
   * function that removes the listener. The cache turns them into 'circuit:open' / 'circuit:close'.
   */
  onCircuitChange(listener: (change: CircuitChange) => void): () => void {
    this.#circuitListeners.add(listener)
    return () => {
      this.#circuitListeners.delete(listener)
    }
  }

  /** The circuit state of each node that has been used: `'closed'`, `'open'` or `'half-open'`. */
  circuits(): Record<string, 'closed' | 'open' | 'half-open'> {
    const out: Record<string, 'closed' | 'open' | 'half-open'> = {}
    for (const breaker of this.#breakers.values()) out[breaker.node] = breaker.state
    return out
  }

  close(): Promise<void> {
    this.#batcher?.flush()
    this.#closed = true
    this.#closing ??= this.#owns ? this.#topology.close() : Promise.resolve()
    return this.#closing
  }

  [inspectSymbol](depth: number, options: object): string {
    return `RedisStore { topology: ${inspect(this.#topology, { ...options, depth })}, closed: ${this.#closed} }`
  }

  /**
   * Where a key goes; throws E_CLOSED after close (callers are inside a promise chain or async).
   * Before a write, queued reads of the same key are sent first, so the write cannot overtake them.
   */
  #node(key: string, intent: 'read' | 'write'): Driver {
    this.#check()
    if (intent === 'write' && this.#batcher !== undefined && this.#batcher.has(key)) this.#batcher.flush()
    return this.#topology.nodeFor(key, intent)
  }

  /** The one place single commands leave the store, through the node's circuit breaker. */
  #send(driver: Driver, command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    if (this.#circuit === false) return driver.send(command, args)
    const breaker = this.#breakerOf(driver)
    const refused = breaker.admit(command)
    if (refused !== undefined) return Promise.reject(refused)
    return driver.send(command, args).then(
      (reply) => {
        breaker.success()
        return reply
      },
      (error: unknown) => {
        breaker.failure(error)
        throw error
      },
    )
  }

  /**
   * A single-key command with its reply mapped in the same step (one promise fewer than
   * `await #send`): the hot path of writes. Never throws synchronously.
   */
  #one<R>(
    key: string,
    intent: 'read' | 'write',
    command: string,
    args: readonly RedisArg[],
    map: (reply: RedisReply) => R,
  ): Promise<R> {
    let driver: Driver
    try {
      driver = this.#node(key, intent)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#circuit === false) return driver.send(command, args).then(map)
    const breaker = this.#breakerOf(driver)
    const refused = breaker.admit(command)
    if (refused !== undefined) return Promise.reject(refused)
    return driver.send(command, args).then(
      (reply) => {
        breaker.success()
        return map(reply)
      },
      (error: unknown) => {
        breaker.failure(error)
        throw error
      },
    )
  }

  /** The one place pipelines leave the store: one round trip to one node, through its breaker. */
  #batch(driver: Driver, commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    if (this.#circuit === false) return driver.batch(commands)
    const breaker = this.#breakerOf(driver)
    const refused = breaker.admit(commands[0]?.[0] ?? 'batch')
    if (refused !== undefined) return Promise.reject(refused)
    return driver.batch(commands).then(
      (replies) => {
        // A pipeline whose every command failed at the connection level is one failure.
        const first = replies[0]
        if (isOutage(first) && replies.every(isOutage)) breaker.failure(first)
        else breaker.success()
        return replies
      },
      (error: unknown) => {
        breaker.failure(error)
        throw error
      },
    )
  }

  #breakerOf(driver: Driver): CircuitBreaker {
    let breaker = this.#breakers.get(driver.id)
    if (breaker === undefined) {
      breaker = new CircuitBreaker(driver.id, this.#circuit || {}, (change) => {
        for (const listener of this.#circuitListeners) {
          try {
            listener(change)
          } catch {
            // A listener's failure must not break the call that changed the circuit.
          }
        }
      })
      this.#breakers.set(driver.id, breaker)
    }
    return breaker
  }

  /** EVALSHA, and EVAL when the server does not have the script cached (NOSCRIPT). */
  async #eval(code: Script, key: string, args: readonly RedisArg[]): Promise<RedisReply> {
    const driver = this.#node(key, 'write')
    try {
      return await this.#send(driver, 'EVALSHA', [code.sha, 1, key, ...args])
    } catch (error) {
      if (!(isRediskitError(error, 'E_REDIS') && error.message.startsWith('NOSCRIPT'))) throw error
      return this.#send(driver, 'EVAL', [code.source, 1, key, ...args])
    }
  }

  #check(): void {
    if (this.#closed) throw closedError()
  }
}

function isWritten(reply: RedisReply): boolean {
  return reply !== null
}

function isUnlinked(reply: RedisReply): boolean {
  return toInteger(reply, 'UNLINK') > 0
}

function exists(reply: RedisReply): boolean {
  return toInteger(reply, 'EXISTS') > 0
}

/** A connection-level failure (what the circuit breaker counts). */
function isOutage(reply: RedisReply | Error | undefined): reply is RediskitError {
  return isRediskitError(reply) && (reply.code === 'E_CONNECTION' || reply.code === 'E_TIMEOUT')
}

function closedError(): RediskitError {
  return new RediskitError('E_CLOSED', 'the store is closed')
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  if (items.length <= size) return [items as T[]]
  const out: T[][] = []
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size))
  return out
}

function milliseconds(ttl: number, op: string): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TypeError(`${op}: ttl must be a positive number of milliseconds, got ${String(ttl)}`)
  }
  return Math.max(1, Math.ceil(ttl))
}

function toValue(reply: RedisReply): Buffer | undefined {
  if (reply === null) return undefined
  if (Buffer.isBuffer(reply)) return reply
  if (typeof reply === 'string') return Buffer.from(reply)
  throw protocolError('GET', reply)
}

function toText(reply: RedisReply): string {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8')
  if (typeof reply === 'string') return reply
  if (typeof reply === 'number' || typeof reply === 'bigint') return String(reply)
  throw protocolError('SCAN', reply)
}

function toInteger(reply: RedisReply, command: string): number {
  if (typeof reply === 'number') return reply
  if (typeof reply === 'bigint') return Number(reply)
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
    const value = Number(reply.toString())
    if (Number.isFinite(value)) return value
  }
  throw protocolError(command, reply)
}

function protocolError(command: string, reply: unknown): RediskitError {
  const shape = Array.isArray(reply) ? `an array of ${reply.length}` : reply === null ? 'nil' : typeof reply
  return new RediskitError('E_PROTOCOL', `unexpected reply to ${command}: ${shape}`, { details: { command } })
}

/**
 * One node failing a multi-node read must not cost the values of the others: when some groups
 * failed, the first failure is thrown with the rest of the results in `partial` (so a cache under
 * `handleErrors` serves them); when every group failed, the first failure is thrown as it is.
 */
function withPartialFailure<T>(
  settled: readonly PromiseSettledResult<unknown>[],
  groups: readonly KeyGroup[],
  out: T[],
  op: string,
): T[] {
  const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed.length === 0) return out
  const first = failed[0]!.reason as unknown
  if (failed.length === settled.length) throw first
  // Groups are per node, or per slot in a cluster (several groups per node): count nodes.
  const nodes = [
    ...new Set(groups.filter((_, i) => settled[i]!.status === 'rejected').map((g) => g.driver.id)),
  ]
  const total = new Set(groups.map((g) => g.driver.id)).size
  const code = isRediskitError(first) ? first.code : 'E_CONNECTION'
  const message = first instanceof Error ? first.message : String(first)
  throw new RediskitError(
    code,
    `${op}: ${nodes.length} of ${total} nodes failed (${nodes.join(', ')}): ${message}`,
    {
      cause: first,
      partial: out,
      details: { op, nodes },
    },
  )
}
