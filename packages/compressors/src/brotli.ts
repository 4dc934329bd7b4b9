import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib'
import type { Compressor } from '@rediskit/core'
import { codec } from './codec.js'
import { COMPRESSOR_IDS } from './ids.js'
import { type LevelOptions, levelOption, maxBytesOption } from './options.js'

/**
 * Brotli (RFC 7932, node:zlib; frame id 3). `level` is the quality 0..11, default 4: brotli's
 * own default, 11, compresses at a few MB/s, which blocks the event loop for a cache write; 4 is
 * close to gzip's speed with smaller output.
 */
export function brotli(options: LevelOptions = {}): Compressor {
  const level = levelOption('brotli', options, constants.BROTLI_MIN_QUALITY, constants.BROTLI_MAX_QUALITY, 4)
  const maxDecompressedBytes = maxBytesOption('brotli', options)
  return codec({
    name: 'brotli',
    id: COMPRESSOR_IDS.brotli,
    level,
    maxDecompressedBytes,
    compress: (data) =>
      brotliCompressSync(data, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: level,
          [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      }),
    decompress: (data, maxOutputLength) => brotliDecompressSync(data, { maxOutputLength }),
  })
}
