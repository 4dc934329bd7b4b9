import { RediskitError } from '@rediskit/core'

/** `E_ENCODE`: `serializer` cannot store this value faithfully. */
export function encodeError(serializer: string, reason: string, cause?: unknown): RediskitError {
  return new RediskitError(
    'E_ENCODE',
    `The ${serializer} serializer cannot encode this value: ${reason}`,
    cause === undefined ? { details: { serializer } } : { cause, details: { serializer } },
  )
}

/** `E_DECODE`: the bytes are not something `serializer` wrote (foreign, truncated or corrupt). */
export function decodeError(serializer: string, reason: string, cause?: unknown): RediskitError {
  return new RediskitError(
    'E_DECODE',
    `The ${serializer} serializer cannot decode the stored bytes: ${reason}`,
    cause === undefined ? { details: { serializer } } : { cause, details: { serializer } },
  )
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** True for the RangeError V8 throws when recursion exhausts the stack (cycles, extreme depth). */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message)
}
