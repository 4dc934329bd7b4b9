import { type ErrorCode, isRediskitError, RediskitError } from './errors.js'
import { redact } from './redact.js'

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

/**
 * The one place store failures become cache errors: a `RediskitError` carrying the operation and
 * the user key in `details`, its message scrubbed of `secrets`.
 *
 * Errors that are already `RediskitError`s keep their code. Others are wrapped (as `cause`): an
 * error reply from the server (ioredis `ReplyError`, or a message starting with an upper-case
 * Redis error prefix like `ERR`/`WRONGTYPE`) becomes `E_REDIS`; anything else (socket errors,
 * "Connection is closed", a custom store's failure) becomes `E_CONNECTION`.
 */
export function toCacheError(
  error: unknown,
  op: string,
  key: string | undefined,
  secrets: readonly string[],
): RediskitError {
  if (isRediskitError(error)) {
    if (error.details?.op !== undefined && secrets.length === 0) return error
    return new RediskitError(error.code, redact(error.message, secrets), {
      cause: error,
      details: { ...error.details, op, key },
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  const where = key === undefined ? op : `${op} ${JSON.stringify(key)}`
  return new RediskitError(classify(error, message), redact(`${where} failed: ${message}`, secrets), {
    cause: error,
    details: { op, key },
  })
}

function classify(error: unknown, message: string): ErrorCode {
  if (typeof error === 'object' && error !== null) {
    const { name, code } = error as { name?: unknown; code?: unknown }
    if (name === 'ReplyError') return 'E_REDIS'
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'E_CONNECTION'
  }
  return /^[A-Z]{3,}[A-Z_]* /.test(message) ? 'E_REDIS' : 'E_CONNECTION'
}
