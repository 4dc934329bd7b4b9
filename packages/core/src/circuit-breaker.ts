import { isRediskitError, RediskitError } from './errors.js'

/**
 * Options of the circuit breaker (`createCache({ circuitBreaker })`, `new RedisStore(t, { circuitBreaker })`).
 * There is one breaker per node (driver): a dead shard opens its own circuit, not the others'.
 */
export interface CircuitBreakerOptions {
  /** Consecutive commands to one node failing with a connection or timeout error that open its circuit. Default 10. */
  failures?: number | undefined
  /** The failures must fall within this many ms (from the first of the streak). Default 10 000. */
  window?: number | undefined
  /** How long (ms) an open circuit fails calls fast before one probe is let through. Default 1000. */
  coolDown?: number | undefined
}

/** The breaker's defaults: conservative, so only a node that is clearly down trips it. */
export const CIRCUIT_DEFAULTS: Readonly<Required<{ [K in keyof CircuitBreakerOptions]: number }>> =
  Object.freeze({ failures: 10, window: 10_000, coolDown: 1000 })

/** A change of a node's circuit, reported to the store's listeners (and by the cache as events). */
export interface CircuitChange {
  /** `'open'`: calls to the node fail fast with `E_CIRCUIT_OPEN`; `'closed'`: it answers again. */
  state: 'open' | 'closed'
  /** The node (driver id, credential-free). */
  node: string
  /** Consecutive failures that opened the circuit (0 when it closes). */
  failures: number
  /** Cool-down in ms before the next probe (when it opens). */
  coolDown: number
  /** The failure that opened the circuit. */
  cause?: RediskitError | undefined
}

const CLOSED = 0
const OPEN = 1
/** Open, with one probe call in flight. */
const PROBING = 2

/**
 * The circuit breaker of one node.
 *
 * - closed: calls go through. `failures` consecutive connection/timeout failures (a command that
 *   failed with `E_CONNECTION` or `E_TIMEOUT`; a coalesced MGET counts once, whatever the number
 *   of calls it served) within `window` ms open it. Any success resets the count.
 * - open: calls fail at once with `E_CIRCUIT_OPEN` for `coolDown` ms.
 * - then one call is let through as a probe while the others keep failing fast: its success closes
 *   the circuit, its failure opens it for another `coolDown`.
 *
 * Error replies (`E_REDIS`), decode errors and the like never count: the server answered.
 */
export class CircuitBreaker {
  readonly node: string
  readonly failures: number
  readonly window: number
  readonly coolDown: number
  readonly #onChange: (change: CircuitChange) => void
  #state = CLOSED
  #streak = 0
  #streakStart = 0
  #until = 0
  #last: RediskitError | undefined
  #openedAfter = 0

  constructor(node: string, options: CircuitBreakerOptions, onChange: (change: CircuitChange) => void) {
    this.node = node
    this.failures = options.failures ?? CIRCUIT_DEFAULTS.failures
    this.window = options.window ?? CIRCUIT_DEFAULTS.window
    this.coolDown = options.coolDown ?? CIRCUIT_DEFAULTS.coolDown
    this.#onChange = onChange
  }

  /** `'closed'`, `'open'`, or `'half-open'` (a probe is in flight). */
  get state(): 'closed' | 'open' | 'half-open' {
    return this.#state === CLOSED ? 'closed' : this.#state === OPEN ? 'open' : 'half-open'
  }

  /**
   * Whether a call may go to the node now: `undefined` to go ahead, or the `E_CIRCUIT_OPEN` error to
   * fail it with. When the cool-down is over, the first caller goes ahead as the probe.
   */
  admit(command: string): RediskitError | undefined {
    if (this.#state === CLOSED) return undefined
    const now = performance.now()
    if (now >= this.#until) {
      // The probe: one call per cool-down (also when an earlier probe never settled).
      this.#state = PROBING
      this.#until = now + this.coolDown
      return undefined
    }
    return this.#refusal(command, now)
  }

  /** The node answered. */
  success(): void {
    if (this.#streak !== 0 || this.#state !== CLOSED) this.#close()
  }

  /** A command to the node failed. */
  failure(error: unknown): void {
    if (!isRediskitError(error) || (error.code !== 'E_CONNECTION' && error.code !== 'E_TIMEOUT')) return
    const now = performance.now()
    if (this.#state !== CLOSED) {
      // The probe failed (or a call sent before the circuit opened): stay open for another cool-down.
      if (this.#state === PROBING) {
        this.#state = OPEN
        this.#until = now + this.coolDown
        this.#last = error
      }
      return
    }
    if (this.#streak === 0 || now - this.#streakStart > this.window) {
      this.#streak = 0
      this.#streakStart = now
    }
    this.#streak++
    if (this.#streak >= this.failures) {
      this.#state = OPEN
      this.#until = now + this.coolDown
      this.#last = error
      this.#openedAfter = this.#streak
      this.#onChange({
        state: 'open',
        node: this.node,
        failures: this.#streak,
        coolDown: this.coolDown,
        cause: error,
      })
    }
  }

  #close(): void {
    const wasOpen = this.#state !== CLOSED
    this.#state = CLOSED
    this.#streak = 0
    this.#last = undefined
    if (wasOpen) this.#onChange({ state: 'closed', node: this.node, failures: 0, coolDown: this.coolDown })
  }

  #refusal(command: string, now: number): RediskitError {
    const last = this.#last
    const wait = Math.max(0, Math.ceil(this.#until - now))
    const reason = last === undefined ? '' : ` (last: ${last.message})`
    const next = this.#state === PROBING ? 'a probe is in flight' : `next probe in ${wait} ms`
    return new RediskitError(
      'E_CIRCUIT_OPEN',
      `the circuit to ${this.node} is open after ${this.#openedAfter} consecutive connection/timeout failures${reason}; failing fast (${next})`,
      { cause: last, details: { node: this.node, command } },
    )
  }
}

/** Validates breaker options (E_CONFIG naming the bad field). */
export function checkCircuitOptions(
  options: unknown,
  name = 'circuitBreaker',
): CircuitBreakerOptions | false {
  if (options === false) return false
  if (options === undefined || options === true) return {}
  if (typeof options !== 'object' || options === null) {
    throw new RediskitError(
      'E_CONFIG',
      `Invalid option ${name}: must be { failures, window, coolDown } or false`,
      {
        details: { option: name },
      },
    )
  }
  const record = options as Record<string, unknown>
  for (const field of ['failures', 'window', 'coolDown'] as const) {
    const value = record[field]
    if (value === undefined) continue
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value > 0 &&
      (field !== 'failures' || Number.isInteger(value))
    if (!ok) {
      throw new RediskitError(
        'E_CONFIG',
        `Invalid option ${name}.${field}: must be a positive ${field === 'failures' ? 'integer' : 'number of milliseconds'}`,
        { details: { option: `${name}.${field}` } },
      )
    }
  }
  return record as CircuitBreakerOptions
}
