import type { Compressor } from '@rediskit/core'
import { brotli } from './brotli.js'
import { deflate } from './deflate.js'
import { gzip } from './gzip.js'
import { COMPRESSOR_IDS } from './ids.js'
import { lz4 } from './lz4.js'
import { none } from './none.js'
import type { CompressorOptions } from './options.js'
import { unavailable } from './unavailable.js'
import { zstd } from './zstd.js'

/**
 * Every compressor of this package, one per frame id, for a cache that must read values written
 * with any of them: `createCache({ compressor: lz4(), decompressors: allCompressors() })`.
 *
 * Algorithms this process cannot run (zstd before Node 22.15, lz4 without its binary) are
 * included as stand-ins whose `decompress` throws `E_DECODE` saying why, so such a value reads
 * as a miss with a clear 'error' event. Decompression only: pass real compressors to write.
 */
export function allCompressors(options: CompressorOptions = {}): Compressor[] {
  return [
    none(options),
    gzip(options),
    deflate(options),
    brotli(options),
    orUnavailable('lz4', COMPRESSOR_IDS.lz4, () => lz4(options)),
    orUnavailable('zstd', COMPRESSOR_IDS.zstd, () => zstd(options)),
  ]
}

function orUnavailable(name: string, id: number, create: () => Compressor): Compressor {
  try {
    return create()
  } catch (error) {
    if (error instanceof Error && (error as { code?: unknown }).code === 'E_CONFIG') {
      return unavailable(name, id, error)
    }
    throw error
  }
}
