import { redact } from './redact.js'

/**
 * Helpers for drivers (core's ioredis driver, @rediskit/cluster, @rediskit/parser's native
 * driver, or yours): how a socket or server error becomes a message that says what failed
 * without a secret in it.
 */

/** Socket errors that mean the TLS handshake rejected the server's certificate. */
export const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|certificate/i

/** True for the error replies of a failed AUTH / HELLO AUTH. */
export function isAuthFailure(message: string): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(message)
}

/** The text of a socket error: its message (or what an AggregateError's attempts say), then its code. */
export function socketErrorText(error: Error): string {
  let text = error.message
  // Node's dual-stack connect (localhost -> ::1 and 127.0.0.1) fails with an AggregateError
  // whose own message is empty: the attempts say what happened.
  if (text === '' && error instanceof AggregateError) {
    text = [...new Set(error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : '')))]
      .filter((part) => part !== '')
      .join('; ')
  }
  return text === '' ? error.name : text
}

/** A socket error as text with every secret masked, and its code (ECONNREFUSED...) when it has one. */
export function describeSocketError(
  error: Error,
  secrets: readonly string[],
  text = socketErrorText(error),
): string {
  const code = (error as { code?: unknown }).code
  const message = redact(text, secrets)
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}

/** A copy of an error with only its name, `message` and code: no command arguments, no socket. */
export function scrubError(error: Error, message: string): Error {
  const copy = new Error(message)
  Object.defineProperty(copy, 'name', { value: error.name, enumerable: false, configurable: true })
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code })
  copy.stack = `${error.name}: ${message}`
  return copy
}
