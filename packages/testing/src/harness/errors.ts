/**
 * Stable codes of {@link HarnessError}:
 *
 * - `E_HARNESS_MISSING_BINARY` redis-server, redis-cli, redis-sentinel or openssl is not on PATH
 * - `E_HARNESS_OPTIONS`        invalid `startRedis` options, or a helper the topology does not support
 * - `E_HARNESS_STATE`          a fault helper called on a node in the wrong state (pause a killed node,
 *                              resume a running one, failover without a running replica)
 * - `E_HARNESS_START`          a process exited or refused to start (the message holds its log tail)
 * - `E_HARNESS_TIMEOUT`        a deployment did not reach the awaited state before the deadline
 * - `E_HARNESS_STOPPED`        the deployment was stopped
 */
export type HarnessErrorCode =
  | 'E_HARNESS_MISSING_BINARY'
  | 'E_HARNESS_OPTIONS'
  | 'E_HARNESS_STATE'
  | 'E_HARNESS_START'
  | 'E_HARNESS_TIMEOUT'
  | 'E_HARNESS_STOPPED'

/** Every failure of the Redis test harness. Messages never contain passwords. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError'
  readonly code: HarnessErrorCode

  constructor(code: HarnessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }
}
