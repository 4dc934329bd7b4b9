import type { Compressor } from '@rediskit/core'
import { decodeError } from './errors.js'
import { COMPRESSOR_IDS } from './ids.js'
import { type CompressorOptions, maxBytesOption } from './options.js'

/**
 * No compression (frame id 0): values are stored as the serializer wrote them. Core's cache
 * reads id-0 values without calling this; `decompress` still honours `maxDecompressedBytes`.
 */
export function none(options: CompressorOptions = {}): Compressor {
  const maxDecompressedBytes = maxBytesOption('none', options)
  return Object.freeze({
    name: 'none',
    id: COMPRESSOR_IDS.none,
    maxDecompressedBytes,
    compress: (data: Buffer): Buffer => data,
    decompress(data: Buffer): Buffer {
      if (data.length > maxDecompressedBytes) {
        throw decodeError(
          'none',
          `${data.length} bytes is more than maxDecompressedBytes (${maxDecompressedBytes})`,
        )
      }
      return data
    },
  })
}
