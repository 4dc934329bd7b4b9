import { RediskitError } from './errors.js'
import type { Driver, RedisArg, RedisReply, Topology } from './types.js'

/** How the batcher sends one command to one node (the store's send, through its circuit breaker). */
export type SendCommand = (driver: Driver, command: string, args: readonly RedisArg[]) => Promise<RedisReply>

/** Receives a read's value (`undefined` for a miss). */
export type OnValue = (value: Buffer | undefined) => void
/** Receives a read's failure. */
export type OnError = (error: unknown) => void
type Resolve = OnValue
type Reject = OnError

/** Keys per coalesced MGET; more are split into several MGETs on the same node (still one round trip). */
export const BATCH_CHUNK = 1000

/** Above this many pending reads, conflict checks use a Set instead of a scan. */
const SCAN_LIMIT = 16

/**
 * Coalesces the single-key reads (GET) issued in one tick into one MGET per node (per group of
 * `topology.group`, so per hash slot in a cluster), sent when the tick's synchronous work and
 * microtasks are done (`process.nextTick`). Each call gets its own result or error: a node that
 * fails rejects only the calls whose keys live there, and a reply that is not a value rejects
 * only its own call.
 *
 * Ordering is kept as if every read had been sent at once: before a write to a key that a pending
 * read waits for is sent, the store flushes the pending reads ({@link has} / {@link flush}), so
 * `get(k)` then `delete(k)` in one tick still returns the old value.
 */
export class ReadBatcher {
  readonly #topology: Topology
  readonly #send: SendCommand
  #keys: string[] = []
  #resolves: Resolve[] = []
  #rejects: Reject[] = []
  /** Built lazily once a write asks about a long pending list; then kept in step with it. */
  #index: Set<string> | undefined
  #scheduled = false
  readonly #onTick = (): void => {
    this.#scheduled = false
    this.flush()
  }

  constructor(topology: Topology, send: SendCommand) {
    this.#topology = topology
    this.#send = send
  }

  /** Reads waiting for the next flush. */
  get size(): number {
    return this.#keys.length
  }

  /** Queues a GET of `key` for this tick's MGET. */
  get(key: string): Promise<Buffer | undefined> {
    return new Promise<Buffer | undefined>((resolve, reject) => {
      this.enqueue(key, resolve, reject)
    })
  }

  /**
   * {@link get} without a promise: exactly one of the callbacks is called once, after the flush
   * (the cache's hot path builds one promise of its own around it).
   */
  enqueue(key: string, onValue: OnValue, onError: OnError): void {
    this.#keys.push(key)
    this.#resolves.push(onValue)
    this.#rejects.push(onError)
    if (this.#index !== undefined) this.#index.add(key)
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(this.#onTick)
    }
  }

  /** True when a queued read waits for `key` (a write to it must flush first). */
  has(key: string): boolean {
    const keys = this.#keys
    if (keys.length === 0) return false
    if (keys.length <= SCAN_LIMIT) return keys.includes(key)
    this.#index ??= new Set(keys)
    return this.#index.has(key)
  }

  /** Sends every queued read now (synchronously dispatched, in call order per node). */
  flush(): void {
    const keys = this.#keys
    const count = keys.length
    if (count === 0) return
    const resolves = this.#resolves
    const rejects = this.#rejects
    this.#keys = []
    this.#resolves = []
    this.#rejects = []
    this.#index = undefined
    if (count === 1) {
      this.#single(keys[0] as string, resolves[0] as Resolve, rejects[0] as Reject)
      return
    }
    let groups: ReturnType<Topology['group']>
    try {
      groups = this.#topology.group(keys, 'read')
    } catch (error) {
      for (const reject of rejects) reject(error)
      return
    }
    for (const { driver, indexes } of groups) {
      if (indexes.length <= BATCH_CHUNK) {
        this.#mget(driver, keys, indexes, resolves, rejects)
      } else {
        for (let start = 0; start < indexes.length; start += BATCH_CHUNK) {
          this.#mget(driver, keys, indexes.slice(start, start + BATCH_CHUNK), resolves, rejects)
        }
      }
    }
  }

  #single(key: string, resolve: Resolve, reject: Reject): void {
    let driver: Driver
    try {
      driver = this.#topology.nodeFor(key, 'read')
    } catch (error) {
      reject(error)
      return
    }
    this.#send(driver, 'GET', [key]).then((reply) => {
      settle(reply, resolve, reject)
    }, reject)
  }

  #mget(
    driver: Driver,
    keys: readonly string[],
    indexes: readonly number[],
    resolves: readonly Resolve[],
    rejects: readonly Reject[],
  ): void {
    const n = indexes.length
    if (n === 1) {
      const index = indexes[0] as number
      this.#send(driver, 'GET', [keys[index] as string]).then((reply) => {
        settle(reply, resolves[index] as Resolve, rejects[index] as Reject)
      }, rejects[index] as Reject)
      return
    }
    const args = new Array<string>(n)
    for (let i = 0; i < n; i++) args[i] = keys[indexes[i] as number] as string
    this.#send(driver, 'MGET', args).then(
      (reply) => {
        if (!Array.isArray(reply) || reply.length !== n) {
          const error = shapeError(reply)
          for (let i = 0; i < n; i++) (rejects[indexes[i] as number] as Reject)(error)
          return
        }
        for (let i = 0; i < n; i++) {
          const index = indexes[i] as number
          settle(reply[i] as RedisReply, resolves[index] as Resolve, rejects[index] as Reject)
        }
      },
      (error: unknown) => {
        for (let i = 0; i < n; i++) (rejects[indexes[i] as number] as Reject)(error)
      },
    )
  }
}

/** One value of a GET/MGET reply: bytes, nil, or (a protocol violation) anything else. */
function settle(reply: RedisReply, resolve: Resolve, reject: Reject): void {
  if (reply === null) resolve(undefined)
  else if (Buffer.isBuffer(reply)) resolve(reply)
  else if (typeof reply === 'string') resolve(Buffer.from(reply))
  else reject(valueError(reply))
}

function valueError(reply: unknown): RediskitError {
  const shape = Array.isArray(reply) ? `an array of ${reply.length}` : typeof reply
  return new RediskitError('E_PROTOCOL', `unexpected reply to GET: ${shape}`, { details: { command: 'GET' } })
}

function shapeError(reply: unknown): RediskitError {
  const shape = Array.isArray(reply) ? `an array of ${reply.length}` : reply === null ? 'nil' : typeof reply
  return new RediskitError('E_PROTOCOL', `unexpected reply to MGET: ${shape}`, {
    details: { command: 'MGET' },
  })
}
