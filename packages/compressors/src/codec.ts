import type { Compressor } from '@rediskit/core'
import { decodeError, encodeError, messageOf } from './errors.js'

/** What one algorithm provides; {@link codec} adds validation and error mapping around it. */
export interface CodecSpec {
  name: string
  id: number
  /** Informational: the level in use, when the algorithm has one. */
  level?: number | undefined
  maxDecompressedBytes: number
  compress(data: Buffer): Buffer
  /** Must not produce more than `maxOutputLength` bytes (throw instead). */
  decompress(data: Buffer, maxOutputLength: number): Buffer
}

/**
 * A {@link Compressor} around `spec`: empty input and every failure of `decompress` become
 * `E_DECODE` (output over the bound says so), failures of `compress` become `E_ENCODE`.
 */
export function codec(spec: CodecSpec): Compressor {
  const { name, maxDecompressedBytes } = spec
  const compressor: Compressor = {
    name,
    id: spec.id,
    maxDecompressedBytes,
    ...(spec.level === undefined ? {} : { level: spec.level }),
    compress(data: Buffer): Buffer {
      try {
        return spec.compress(data)
      } catch (error) {
        throw encodeError(name, error)
      }
    },
    decompress(data: Buffer): Buffer {
      // Compressed output is never empty, so empty input is a truncated value.
      if (data.length === 0) throw decodeError(name, 'the input is empty')
      try {
        return spec.decompress(data, maxDecompressedBytes)
      } catch (error) {
        if (isTooLarge(error)) {
          throw decodeError(
            name,
            `it decompresses to more than maxDecompressedBytes (${maxDecompressedBytes} bytes)`,
            error,
          )
        }
        if (isDecodeError(error)) throw error
        throw decodeError(name, messageOf(error), error)
      }
    },
  }
  return Object.freeze(compressor)
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE'
}

function isDecodeError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | null
  return e?.name === 'RediskitError' && e.code === 'E_DECODE'
}
