import type { Compressor } from './types.js'

/**
 * Compressor id 0: no compression. Every cache can read values framed with id 0; configuring it
 * (the default) stores payloads uncompressed.
 */
export const identityCompressor: Compressor = {
  name: 'none',
  id: 0,
  compress: (data: Buffer): Buffer => data,
  decompress: (data: Buffer): Buffer => data,
}
