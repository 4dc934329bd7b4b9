/**
 * The frame ids of the compressors in this package. They are written into every stored value
 * (core's value frame), so they never change: a reader picks the algorithm by this id, whatever
 * compressor the cache is configured with now. Third-party compressors should pick ids from 64 up.
 */
export const COMPRESSOR_IDS = Object.freeze({
  none: 0,
  gzip: 1,
  deflate: 2,
  brotli: 3,
  lz4: 4,
  zstd: 5,
} as const)

/** The name of a compressor in this package. */
export type CompressorName = keyof typeof COMPRESSOR_IDS
