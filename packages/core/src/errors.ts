/**
 * Stable error codes. They are part of the public contract: match on `code`, not on messages.
 *
 * - `E_CONNECTION`  the server could not be reached or the connection dropped
 * - `E_TIMEOUT`     an operation did not finish within its deadline (`commandTimeout`)
 * - `E_CLOSED`      the cache (or the store/driver under it) was closed
 * - `E_CONFIG`      invalid options or location; thrown synchronously at creation
 * - `E_ENCODE`      a value cannot be stored faithfully by the serializer
 * - `E_DECODE`      stored bytes could not be decoded (foreign, truncated, corrupt, unknown frame)
 * - `E_PROTOCOL`    the server sent bytes that are not valid RESP
 * - `E_REDIS`       the server answered with an error reply (WRONGTYPE, NOSCRIPT, ...)
 * - `E_CIRCUIT_OPEN` the circuit breaker is open: calls fail fast until a probe succeeds
 * - `E_LOCK`        a lock could not be acquired, released or extended
 */
export type ErrorCode =
  | 'E_CONNECTION'
  | 'E_TIMEOUT'
  | 'E_CLOSED'
  | 'E_CONFIG'
  | 'E_ENCODE'
  | 'E_DECODE'
  | 'E_PROTOCOL'
  | 'E_REDIS'
  | 'E_CIRCUIT_OPEN'
  | 'E_LOCK'

const BRAND = Symbol.for('rediskit.error')

/** Options for {@link RediskitError}. */
export interface RediskitErrorOptions {
  cause?: unknown
  /** Extra, non-secret context (key, node address without credentials, operation name). */
  details?: Record<string, unknown>
  /**
   * What a multi-node operation did get when some nodes failed (e.g. `getMany` over shards: the
   * values of the nodes that answered, `undefined` for the keys of those that did not).
   */
  partial?: readonly unknown[]
}

/**
 * The one error class of rediskit. Recognise it with {@link isRediskitError} (works across
 * duplicate installs of the package) or `instanceof` (works within one install).
 * Messages and details never contain passwords.
 */
export class RediskitError extends Error {
  override readonly name = 'RediskitError'
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>> | undefined
  /** See {@link RediskitErrorOptions.partial}. */
  readonly partial: readonly unknown[] | undefined

  constructor(code: ErrorCode, message: string, options: RediskitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
    this.partial = options.partial
    Object.defineProperty(this, BRAND, { value: true })
  }

  static is(value: unknown, code?: ErrorCode): value is RediskitError {
    return isRediskitError(value, code)
  }
}

/** True for any RediskitError, also one created by another copy of this package. */
export function isRediskitError(value: unknown, code?: ErrorCode): value is RediskitError {
  if (typeof value !== 'object' || value === null) return false
  const branded = (value as Record<symbol, unknown>)[BRAND] === true
  if (!branded) return false
  return code === undefined || (value as RediskitError).code === code
}
