import type { Compressor } from '@rediskit/core'
import { decodeError } from './errors.js'

/**
 * Stands in for a compressor this process cannot run (no binding, an older Node), so a cache
 * that meets a value written with it reports why instead of "unknown compressor id":
 * `decompress` throws `E_DECODE` naming the reason, `compress` throws the original `E_CONFIG`.
 */
export function unavailable(name: string, id: number, reason: Error): Compressor {
  return Object.freeze({
    name,
    id,
    compress(): Buffer {
      throw reason
    },
    decompress(): Buffer {
      throw decodeError(
        name,
        `this value was written with ${name}, which this process cannot run: ${reason.message}`,
        reason,
      )
    },
  })
}
