import type { CircuitChange } from './circuit-breaker.js'
import { RediskitError } from './errors.js'

/**
 * Events of a cache. Keys are the user's keys (no prefix, no version).
 *
 * - `hit` / `miss`: a read found / did not find a value (`get`, `getMany`, `getOrSet`).
 * - `set`: a value was written (`set`, `add`, `setMany`, `getOrSet`, `incr`/`decr`).
 * - `delete`: a delete was issued for the key (`delete`, `deleteMany`, `deletePattern`, `clear`,
 *   and `set` with a TTL <= 0).
 * - `error`: an operation failed, or stored bytes did not decode; `details` carry `op` and `key`.
 * - `circuit:open` / `circuit:close`: a node's circuit breaker opened (calls to it now fail fast
 *   with `E_CIRCUIT_OPEN`) or closed again (a probe succeeded). Emitted by the cache that owns the
 *   store; a namespace's listeners are registered there.
 */
export interface CacheEvents {
  hit: (key: string) => void
  miss: (key: string) => void
  set: (key: string) => void
  delete: (key: string) => void
  error: (error: RediskitError) => void
  'circuit:open': (change: CircuitChange) => void
  'circuit:close': (change: CircuitChange) => void
}

/** The name of a cache event. */
export type CacheEvent = keyof CacheEvents

type Listeners = { [E in CacheEvent]: readonly CacheEvents[E][] | undefined }

/**
 * A tiny typed emitter. Unlike Node's EventEmitter, an 'error' with no listener is dropped (the
 * cache reports errors by its own policy), and a listener that throws never breaks the operation:
 * the exception goes to `onListenerError`. Listener lists are copied on write, so emitting allocates
 * nothing and `has()` is one property read, which keeps events free when nobody listens.
 */
export class Emitter {
  readonly #listeners: Listeners = {
    hit: undefined,
    miss: undefined,
    set: undefined,
    delete: undefined,
    error: undefined,
    'circuit:open': undefined,
    'circuit:close': undefined,
  }
  readonly #onListenerError: (error: unknown) => void

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError
  }

  on<E extends CacheEvent>(event: E, listener: CacheEvents[E]): void {
    assertEvent(event)
    const current = this.#listeners[event] as readonly CacheEvents[E][] | undefined
    ;(this.#listeners[event] as readonly CacheEvents[E][]) =
      current === undefined ? [listener] : [...current, listener]
  }

  off<E extends CacheEvent>(event: E, listener: CacheEvents[E]): void {
    const current = this.#listeners[event] as readonly CacheEvents[E][] | undefined
    if (current === undefined) return
    const index = current.lastIndexOf(listener)
    if (index === -1) return
    const next = current.filter((_, i) => i !== index)
    ;(this.#listeners[event] as readonly CacheEvents[E][] | undefined) = next.length === 0 ? undefined : next
  }

  /** True when `event` has at least one listener. */
  has(event: CacheEvent): boolean {
    return this.#listeners[event] !== undefined
  }

  emit<E extends CacheEvent>(event: E, arg: Parameters<CacheEvents[E]>[0]): void {
    const listeners = this.#listeners[event] as
      | readonly ((arg: Parameters<CacheEvents[E]>[0]) => void)[]
      | undefined
    if (listeners === undefined) return
    for (const listener of listeners) {
      try {
        listener(arg)
      } catch (error) {
        this.#onListenerError(error)
      }
    }
  }
}

const EVENTS: ReadonlySet<string> = new Set([
  'hit',
  'miss',
  'set',
  'delete',
  'error',
  'circuit:open',
  'circuit:close',
])

function assertEvent(event: string): void {
  if (!EVENTS.has(event)) {
    throw new RediskitError(
      'E_CONFIG',
      `Unknown cache event ${JSON.stringify(event)}; expected one of ${[...EVENTS].join(', ')}`,
    )
  }
}
