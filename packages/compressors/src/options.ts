import { constants } from 'node:buffer'
import { configError } from './errors.js'

/** 64 MiB: the default bound on what one `decompress` call may produce. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/** Options every compressor takes. */
export interface CompressorOptions {
  /**
   * The most bytes one `decompress` call may produce. Stored data that would decompress to more
   * (a decompression bomb, or a corrupt length) fails with `E_DECODE` before that memory is
   * used. Default 64 MiB.
   */
  maxDecompressedBytes?: number | undefined
}

/** Options of compressors whose algorithm has a level. */
export interface LevelOptions extends CompressorOptions {
  /** The compression level: higher is smaller and slower. Range and default per algorithm. */
  level?: number | undefined
}

/** The validated `maxDecompressedBytes` option. */
export function maxBytesOption(name: string, options: CompressorOptions): number {
  const max = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  if (!Number.isSafeInteger(max) || max < 1 || max > constants.MAX_LENGTH) {
    throw configError(
      name,
      `${name}({ maxDecompressedBytes }) must be a whole number of bytes from 1 to ${constants.MAX_LENGTH}, got ${String(max)}`,
    )
  }
  return max
}

/** The validated `level` option. */
export function levelOption(
  name: string,
  options: LevelOptions,
  min: number,
  max: number,
  fallback: number,
): number {
  const level = options.level ?? fallback
  if (!Number.isInteger(level) || level < min || level > max) {
    throw configError(
      name,
      `${name}({ level }) must be an integer from ${min} to ${max}, got ${String(level)}`,
    )
  }
  return level
}
