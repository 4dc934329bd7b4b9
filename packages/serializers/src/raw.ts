import { RediskitError, type Serializer } from '@rediskit/core'
import { encodeError } from './errors.js'

/** Options of {@link raw}. */
export interface RawOptions {
  /** What reads return: `'buffer'` (default) or `'string'` (UTF-8 decoded). */
  as?: 'buffer' | 'string' | undefined
}

/**
 * Stores strings (as UTF-8) and bytes (Buffer, Uint8Array) exactly as they are: no frame, no
 * compression, no type information, so other clients read and write the same keys. Any other
 * value fails with `E_ENCODE`. Reads return a Buffer (the bytes as read, not a copy), or a string
 * with `{ as: 'string' }`.
 */
export function raw(options: RawOptions = {}): Serializer {
  const as = options.as ?? 'buffer'
  if (as !== 'buffer' && as !== 'string') {
    throw new RediskitError('E_CONFIG', `raw({ as }) must be 'buffer' or 'string', got ${String(as)}`, {
      details: { option: 'as' },
    })
  }
  return as === 'string' ? rawString : rawBuffer
}

function serialize(value: unknown): Buffer | string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
  throw encodeError('raw', `it stores only strings and Buffers/Uint8Arrays, not ${what}`)
}

const rawBuffer: Serializer = Object.freeze({
  name: 'raw',
  raw: true,
  serialize,
  deserialize: (data: Buffer): Buffer => data,
})

const rawString: Serializer = Object.freeze({
  name: 'raw',
  raw: true,
  serialize,
  deserialize: (data: Buffer): string => data.toString('utf8'),
})
