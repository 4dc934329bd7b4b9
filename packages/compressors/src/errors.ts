import { RediskitError } from '@rediskit/core'

/** `E_DECODE`: `compressor` cannot decompress these bytes (foreign, truncated, corrupt, too large). */
export function decodeError(compressor: string, reason: string, cause?: unknown): RediskitError {
  return new RediskitError(
    'E_DECODE',
    `The ${compressor} compressor cannot decompress the stored bytes: ${reason}`,
    cause === undefined ? { details: { compressor } } : { cause, details: { compressor } },
  )
}

/** `E_ENCODE`: compression itself failed (the input is too large for the algorithm, ...). */
export function encodeError(compressor: string, cause: unknown): RediskitError {
  return new RediskitError('E_ENCODE', `The ${compressor} compressor failed: ${messageOf(cause)}`, {
    cause,
    details: { compressor },
  })
}

/** `E_CONFIG`: a bad option or a missing runtime capability, thrown when the compressor is created. */
export function configError(compressor: string, message: string, cause?: unknown): RediskitError {
  return new RediskitError(
    'E_CONFIG',
    message,
    cause === undefined ? { details: { compressor } } : { cause, details: { compressor } },
  )
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
