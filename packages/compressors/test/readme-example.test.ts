// The third-party compressor of the README, proving itself with the contract in three lines.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { type Compressor, RediskitError } from '@rediskit/core'

/** Raw deflate (no header, no checksum) with a bound on what it decompresses. */
function deflateRaw({ maxDecompressedBytes = 64 * 1024 * 1024 } = {}): Compressor {
  return {
    name: 'deflate-raw',
    id: 64, // third-party ids start at 64; rediskit's own use 0..5
    maxDecompressedBytes,
    compress: (data) => deflateRawSync(data),
    decompress(data) {
      try {
        if (data.length === 0) throw new Error('empty input')
        return inflateRawSync(data, { maxOutputLength: maxDecompressedBytes })
      } catch (cause) {
        throw new RediskitError('E_DECODE', 'deflate-raw cannot decompress the stored bytes', { cause })
      }
    },
  }
}

import { compressorContract } from '@rediskit/testing'
import * as vitest from 'vitest'

compressorContract(vitest, (options) => deflateRaw(options))
