import type { Compressor } from '@rediskit/core'
import { codec } from './codec.js'
import { decodeError } from './errors.js'
import { COMPRESSOR_IDS } from './ids.js'
import { loadOptional } from './load-optional.js'
import { type CompressorOptions, maxBytesOption } from './options.js'

/** The part of `lz4-napi` this compressor uses. */
interface Lz4Binding {
  compressSync(data: Buffer): Buffer
  uncompressSync(data: Uint8Array): Buffer
}

/** Bytes before the LZ4 block: the uncompressed length, uint32 little-endian. */
export const LZ4_HEADER_SIZE = 4

/**
 * The most an LZ4 block can expand: a match length byte of 255 adds 255 bytes of output, so
 * output <= 255 x input (+ a few bytes). A header declaring more is corrupt, whatever the bound.
 */
const LZ4_MAX_RATIO = 255

/**
 * LZ4 (frame id 4) through `lz4-napi` (prebuilt N-API binaries, no compiler needed; see the
 * README for why not the `lz4` package). No level: the block compressor has one speed.
 *
 * Stored format (independent of the binding, so values stay readable if it changes):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | uncompressed length, uint32 little-endian |
 * | 4 | rest | one LZ4 block (the LZ4 block format, no frame, no checksum) |
 *
 * This is lz4_flex's `compress_prepend_size` and python-lz4's `lz4.block.compress(store_size=True)`.
 * The declared length is checked against `maxDecompressedBytes` (and the LZ4 ratio limit) before
 * anything is allocated, and the output must have exactly that length.
 */
export function lz4(options: CompressorOptions = {}): Compressor {
  const maxDecompressedBytes = maxBytesOption('lz4', options)
  const binding = loadOptional<Lz4Binding>(
    'lz4',
    'lz4-napi',
    'It is a dependency of @rediskit/compressors whose prebuilt binary comes as an optional dependency ' +
      '(@antoniomuso/lz4-napi-<platform>): reinstall without --no-optional / --omit=optional, or on a ' +
      'platform without a prebuilt binary pick zstd(), brotli() or gzip().',
  )
  return codec({
    name: 'lz4',
    id: COMPRESSOR_IDS.lz4,
    maxDecompressedBytes,
    compress: (data) => binding.compressSync(data),
    decompress(data, maxOutputLength) {
      if (data.length <= LZ4_HEADER_SIZE) throw decodeError('lz4', 'the input is shorter than the LZ4 header')
      const declared = data.readUInt32LE(0)
      if (declared > maxOutputLength) {
        throw decodeError(
          'lz4',
          `it declares ${declared} bytes, more than maxDecompressedBytes (${maxOutputLength} bytes)`,
        )
      }
      if (declared > (data.length - LZ4_HEADER_SIZE) * LZ4_MAX_RATIO + 64) {
        throw decodeError(
          'lz4',
          `it declares ${declared} bytes, more than ${data.length} bytes of LZ4 can hold`,
        )
      }
      const out = binding.uncompressSync(data)
      if (out.length !== declared) {
        throw decodeError(
          'lz4',
          `it declares ${declared} bytes but holds ${out.length} (truncated or corrupt)`,
        )
      }
      return out
    },
  })
}
