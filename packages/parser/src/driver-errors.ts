import {
  describeSocketError,
  type ErrorCode,
  isAuthFailure,
  RediskitError,
  redact,
  scrubError,
  TLS_FAILURE,
} from '@rediskit/core'

export { describeSocketError, isAuthFailure, redact, TLS_FAILURE }

/** A copy of an error with only its name, message (scrubbed) and code: nothing else leaks along. */
export function scrub(error: Error, secrets: readonly string[]): Error {
  return scrubError(error, redact(error.message, secrets))
}

/** `E_CONNECTION` for a connection that could not be made or was lost. */
export function unreachable(id: string, reason: string, cause?: Error): RediskitError {
  const hint = TLS_FAILURE.test(reason)
    ? ': the server certificate was not accepted (check tls.ca / tls.servername)'
    : ''
  return new RediskitError('E_CONNECTION', `cannot reach Redis at ${id}: ${reason}${hint}`, {
    cause,
    details: { node: id },
  })
}

/** The same failure, re-issued for one command (its own stack and details). */
export function forCommand(error: RediskitError, command: string): RediskitError {
  return new RediskitError(error.code as ErrorCode, error.message, {
    cause: error.cause,
    details: { ...error.details, command },
  })
}
