import { type ErrorCode, RediskitError } from '@rediskit/core'

/** Socket errors that mean the TLS handshake rejected the server's certificate. */
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|certificate/i

/** Replaces every secret in `text` (and its percent-encoded form) with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret === '') continue
    out = out.split(secret).join('***')
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) out = out.split(encoded).join('***')
  }
  return out
}

/** True for the error replies of a failed AUTH / HELLO AUTH. */
export function isAuthFailure(message: string): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(message)
}

/** A socket error as text: its message (or what an AggregateError's attempts say) and code. */
export function describeSocketError(error: Error, secrets: readonly string[]): string {
  const code = (error as { code?: unknown }).code
  let text = error.message
  // Node's dual-stack connect (localhost -> ::1 and 127.0.0.1) fails with an AggregateError
  // whose own message is empty: the attempts say what happened.
  if (text === '' && error instanceof AggregateError) {
    text = [...new Set(error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : '')))]
      .filter((part) => part !== '')
      .join('; ')
  }
  if (text === '') text = error.name
  const message = redact(text, secrets)
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}

/** A copy of an error with only its name, message (scrubbed) and code: nothing else leaks along. */
export function scrub(error: Error, secrets: readonly string[]): Error {
  const message = redact(error.message, secrets)
  const copy = new Error(message)
  Object.defineProperty(copy, 'name', { value: error.name, enumerable: false, configurable: true })
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code })
  copy.stack = `${error.name}: ${message}`
  return copy
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
