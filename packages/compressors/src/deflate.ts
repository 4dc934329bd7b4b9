import { deflateSync, inflateSync } from 'node:zlib'
import type { Compressor } from '@rediskit/core'
import { codec } from './codec.js'
import { COMPRESSOR_IDS } from './ids.js'
import { type LevelOptions, levelOption, maxBytesOption } from './options.js'

/**
 * deflate in the zlib format (RFC 1950, node:zlib; frame id 2): 2-byte header and an Adler-32
 * checksum, 12 bytes less than gzip per value; what Python's `zlib.compress` writes (django-redis's
 * zlib compressor). `level` -1..9, default 6 (zlib's default; -1 means the same).
 */
export function deflate(options: LevelOptions = {}): Compressor {
  const level = levelOption('deflate', options, -1, 9, 6)
  const maxDecompressedBytes = maxBytesOption('deflate', options)
  return codec({
    name: 'deflate',
    id: COMPRESSOR_IDS.deflate,
    level,
    maxDecompressedBytes,
    compress: (data) => deflateSync(data, { level }),
    decompress: (data, maxOutputLength) => inflateSync(data, { maxOutputLength }),
  })
}
