import { compressorContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { brotli, deflate, gzip, lz4, none, zstd, zstdAvailable } from '../src/index.js'

compressorContract(vitest, (options) => none(options))
compressorContract(vitest, (options) => gzip(options))
compressorContract(vitest, (options) => gzip({ ...options, level: 1 }))
compressorContract(vitest, (options) => deflate(options))
compressorContract(vitest, (options) => deflate({ ...options, level: 9 }))
compressorContract(vitest, (options) => brotli(options))
compressorContract(vitest, (options) => brotli({ ...options, level: 0 }))
compressorContract(vitest, (options) => lz4(options))

// zstd needs node:zlib's zstd (Node >= 22.15 / 23.8); on older Node, compressors.test.ts checks
// that zstd() fails with E_CONFIG instead. CI runs this file on Node 20 and on Node 24.
if (zstdAvailable()) {
  compressorContract(vitest, (options) => zstd(options))
  compressorContract(vitest, (options) => zstd({ ...options, level: -5 }))
} else {
  vitest.it('zstd() is unavailable on this Node (see compressors.test.ts)', () => {
    vitest.expect(() => zstd()).toThrow(/Node >= 22\.15/)
  })
}
