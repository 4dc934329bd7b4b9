import { deserialize, serialize } from 'node:v8'
import { isRediskitError, type Serializer } from '@rediskit/core'
import { decodeError, encodeError, messageOf } from './errors.js'

/**
 * Node's structured clone (`node:v8` serialize/deserialize): every type structured clone knows
 * (Date, Map, Set, BigInt, typed arrays, RegExp, Error, circular references, ...), written by V8.
 *
 * Trusted data only: the V8 format is an engine detail, not a data exchange format. Its
 * deserializer was written to read what V8 itself wrote; stored bytes that someone else can write
 * (a shared Redis) are an attack surface. The format also changes between V8 versions: a newer
 * Node reads what an older one wrote, not the other way round, so a mixed fleet during an
 * upgrade must not share v8-serialized values. Functions and symbols fail with `E_ENCODE`.
 */
export function v8(): Serializer {
  return v8Serializer
}

const v8Serializer: Serializer = Object.freeze({
  name: 'v8',
  serialize(value: unknown): Buffer {
    try {
      return serialize(value)
    } catch (error) {
      if (isRediskitError(error)) throw error
      throw encodeError('v8', messageOf(error), error)
    }
  },
  deserialize(data: Buffer): unknown {
    try {
      // V8 reads Buffers and typed arrays as views into its input; a copy keeps decoded values
      // from aliasing (and pinning) the stored bytes, which a memory store hands out again.
      return deserialize(Buffer.from(data))
    } catch (error) {
      throw decodeError('v8', messageOf(error), error)
    }
  },
})
