import {
  describeSocketError,
  type ErrorCode,
  isAuthFailure,
  RediskitError,
  redact,
  scrubError,
  socketErrorText,
  TLS_FAILURE,
} from '@rediskit/core'

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
  const cause = scrubError(raw, message)
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
      ? `${message}: ${describeClusterSocketError(last, context.secrets)}`
      : describeClusterSocketError(raw, context.secrets)
  const hint = TLS_FAILURE.test(reason)
    ? ': the server certificate was not accepted (check tls.ca / tls.servername)'
    : ''
  return make('E_CONNECTION', `cannot reach ${context.where}: ${reason}${hint}`)
}

export { redact }

/** Core's socket error text, plus what ioredis's ClusterAllFailedError says of the last node. */
function describeClusterSocketError(error: Error, secrets: readonly string[]): string {
  let text = socketErrorText(error)
  const inner = (error as { lastNodeError?: unknown }).lastNodeError
  if (inner instanceof Error && inner.message !== '' && !text.includes(inner.message)) {
    text = `${text} (last node error: ${inner.message})`
  }
  return describeSocketError(error, secrets, text)
}
