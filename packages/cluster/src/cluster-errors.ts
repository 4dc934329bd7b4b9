import { type ErrorCode, RediskitError } from '@rediskit/core'

/** What an error is about: the command, and the node or slot owner it went to. */
export interface ErrorContext {
  command: string
  /** Credential-free node address, or 'cluster' before the slot map is known (for `details`). */
  node: string
  /** The same for messages: 'Redis Cluster node 127.0.0.1:7000', 'Redis Cluster (seed nodes ...)'. */
  where: string
  /** The command's deadline, for E_TIMEOUT messages. */
  timeout: number
  /** Passwords to scrub from every message. */
  secrets: readonly string[]
  /** The last connection-level error the cluster reported since it was last ready. */
  lastError: Error | undefined
  /** True when the cluster is not ready (connecting, reconnecting after losing every node). */
  down: boolean
}

/** ioredis's message when a command meets a closed connection. */
export const CLOSED_MESSAGE = 'Connection is closed.'

const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|certificate/i

/**
 * Maps an ioredis (or socket) error to a RediskitError whose message and cause hold no secrets,
 * the way core's ioredis driver does: error replies are `E_REDIS` (auth failures `E_CONNECTION`),
 * deadlines `E_TIMEOUT` (or `E_CONNECTION` when the cluster is known to be unreachable), invalid
 * replies `E_PROTOCOL`, everything else (refused, dropped, no node for the slot, too many
 * redirections) `E_CONNECTION`.
 */
export function mapClusterError(error: unknown, context: ErrorContext): RediskitError {
  if (error instanceof RediskitError) return error
  const raw = error instanceof Error ? error : new Error(String(error))
  const message = redact(raw.message, context.secrets)
  const details = { node: context.node, command: context.command }
  const cause = scrub(raw, message)
  const make = (code: ErrorCode, text: string): RediskitError =>
    new RediskitError(code, text, { cause, details })

  if (raw.name === 'ReplyError') {
    if (isAuthFailure(message)) {
      return make(
        'E_CONNECTION',
        `authentication to ${context.where} failed: ${message} (check the user name and password)`,
      )
    }
    return make('E_REDIS', message)
  }
  if (raw.name === 'ParserError') return make('E_PROTOCOL', `invalid reply from ${context.where}: ${message}`)
  const last = context.lastError
  if (message === 'Command timed out') {
    if (context.down && last !== undefined && last !== raw) return mapClusterError(last, context)
    return make('E_TIMEOUT', `${context.command} on ${context.where} timed out after ${context.timeout} ms`)
  }
  if (last !== undefined && last.name === 'ReplyError' && isAuthFailure(last.message)) {
    return make(
      'E_CONNECTION',
      `authentication to ${context.where} failed: ${redact(last.message, context.secrets)} (check the user name and password)`,
    )
  }
  const wrapper =
    raw.name === 'MaxRetriesPerRequestError' ||
    raw.name === 'AbortError' ||
    raw.name === 'ClusterAllFailedError' ||
    message === CLOSED_MESSAGE ||
    message.startsWith('None of startup nodes')
  const reason =
    wrapper && last !== undefined && last !== raw
      ? `${message}: ${describeSocketError(last, context.secrets)}`
      : describeSocketError(raw, context.secrets)
  const hint = TLS_FAILURE.test(reason)
    ? ': the server certificate was not accepted (check tls.ca / tls.servername)'
    : ''
  return make('E_CONNECTION', `cannot reach ${context.where}: ${reason}${hint}`)
}

/** Replaces every occurrence of each secret (and its percent-encoded form) with `***`. */
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

function isAuthFailure(message: string): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(message)
}

function describeSocketError(error: Error, secrets: readonly string[]): string {
  const code = (error as { code?: unknown }).code
  let text = error.message
  if (text === '' && error instanceof AggregateError) {
    text = [...new Set(error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : '')))]
      .filter((part) => part !== '')
      .join('; ')
  }
  // ClusterAllFailedError carries the last node's error.
  const inner = (error as { lastNodeError?: unknown }).lastNodeError
  if (inner instanceof Error && inner.message !== '' && !text.includes(inner.message)) {
    text = `${text === '' ? error.name : text} (last node error: ${inner.message})`
  }
  if (text === '') text = error.name
  const message = redact(text, secrets)
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}

/** A copy of an error with only its name, message and code: no command arguments, no socket. */
function scrub(error: Error, message: string): Error {
  const copy = new Error(message)
  Object.defineProperty(copy, 'name', { value: error.name, enumerable: false, configurable: true })
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code })
  copy.stack = `${error.name}: ${message}`
  return copy
}
