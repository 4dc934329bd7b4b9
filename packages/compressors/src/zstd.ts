import * as zlib from 'node:zlib'
import type { Compressor } from '@rediskit/core'
import { codec } from './codec.js'
import { configError } from './errors.js'
import { COMPRESSOR_IDS } from './ids.js'
import { type LevelOptions, levelOption, maxBytesOption } from './options.js'

interface ZstdOptions {
  params?: Record<number, number>
  maxOutputLength?: number
}

/** node:zlib's zstd API (Node >= 22.15 / >= 23.8); @types/node 20 does not declare it. */
interface ZlibZstd {
  zstdCompressSync?: (data: Buffer, options?: ZstdOptions) => Buffer
  zstdDecompressSync?: (data: Buffer, options?: ZstdOptions) => Buffer
  constants: Record<string, number | undefined>
}

const z = zlib as unknown as ZlibZstd

/** True when this runtime's node:zlib has zstd (Node >= 22.15.0 or >= 23.8.0). */
export function zstdAvailable(): boolean {
  return typeof z.zstdCompressSync === 'function' && typeof z.zstdDecompressSync === 'function'
}

/**
 * Zstandard (RFC 8878, node:zlib; frame id 5): standard zstd frames with a content checksum.
 * `level` -7..22, default 3 (zstd's default). Needs Node >= 22.15.0 (or >= 23.8.0), whose
 * node:zlib has zstd; on older Node, creating it throws `E_CONFIG` (see the README for why
 * there is no binding fallback).
 */
export function zstd(options: LevelOptions = {}): Compressor {
  const level = levelOption('zstd', options, -7, 22, 3)
  const maxDecompressedBytes = maxBytesOption('zstd', options)
  const compressSync = z.zstdCompressSync
  const decompressSync = z.zstdDecompressSync
  const levelParam = z.constants.ZSTD_c_compressionLevel
  const checksumParam = z.constants.ZSTD_c_checksumFlag
  if (
    compressSync === undefined ||
    decompressSync === undefined ||
    levelParam === undefined ||
    checksumParam === undefined
  ) {
    throw configError('zstd', zstdMissingMessage())
  }
  const params = { [levelParam]: level, [checksumParam]: 1 }
  return codec({
    name: 'zstd',
    id: COMPRESSOR_IDS.zstd,
    level,
    maxDecompressedBytes,
    compress: (data) => compressSync(data, { params }),
    decompress: (data, maxOutputLength) => decompressSync(data, { maxOutputLength }),
  })
}

/** Why zstd() is unavailable here and what to do. */
export function zstdMissingMessage(): string {
  return (
    `zstd() needs node:zlib's zstd support (Node >= 22.15.0 or >= 23.8.0); this is Node ${process.version}. ` +
    'Upgrade Node, or pick lz4(), brotli() or gzip().'
  )
}
