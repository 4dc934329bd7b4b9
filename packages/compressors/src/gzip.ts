import { gunzipSync, gzipSync } from 'node:zlib'
import type { Compressor } from '@rediskit/core'
import { codec } from './codec.js'
import { COMPRESSOR_IDS } from './ids.js'
import { type LevelOptions, levelOption, maxBytesOption } from './options.js'

/**
 * gzip (RFC 1952, node:zlib; frame id 1): a gzip member with its CRC-32, readable by any gzip
 * tool. `level` -1..9, default 6 (zlib's default; -1 means the same).
 */
export function gzip(options: LevelOptions = {}): Compressor {
  const level = levelOption('gzip', options, -1, 9, 6)
  const maxDecompressedBytes = maxBytesOption('gzip', options)
  return codec({
    name: 'gzip',
    id: COMPRESSOR_IDS.gzip,
    level,
    maxDecompressedBytes,
    compress: (data) => gzipSync(data, { level }),
    decompress: (data, maxOutputLength) => gunzipSync(data, { maxOutputLength }),
  })
}
