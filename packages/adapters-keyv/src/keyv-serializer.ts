import { FRAME_MAGIC, FRAME_VERSION, jsonSerializer, RediskitError, type Serializer } from '@rediskit/core'

/** Options of {@link keyvSerializer}. */
export interface KeyvSerializerOptions {
  /**
   * `false` (default): values are stored without a rediskit frame, so a Keyv string is stored
   * byte for byte (what `@keyv/redis` stores, too). `true`: values go into the rediskit frame,
   * which is what lets a cache's `compressor` compress them.
   */
  framed?: boolean | undefined
}

/** Header of a non-string value: the rediskit frame header of an uncompressed JSON value. */
const JSON_HEADER = Buffer.from([FRAME_MAGIC, FRAME_VERSION, 0, 0])

function serialize(value: unknown): Buffer | string {
  if (typeof value === 'string') return value
  const json = jsonSerializer.serialize(value)
  const text = typeof json === 'string' ? Buffer.from(json, 'utf8') : json
  return Buffer.concat([JSON_HEADER, text])
}

function deserialize(data: Buffer): unknown {
  // 0xC1 never starts (or occurs in) UTF-8 text, so a string and a tagged JSON value cannot be confused.
  if (data[0] !== FRAME_MAGIC) return data.toString('utf8')
  if (data.length < JSON_HEADER.length || data[1] !== FRAME_VERSION || data[2] !== 0 || data[3] !== 0) {
    throw new RediskitError('E_DECODE', 'The keyv serializer found a value it did not write (unknown header)')
  }
  return JSON.parse(data.toString('utf8', JSON_HEADER.length))
}

const unframed: Serializer = Object.freeze({ name: 'keyv', raw: true, serialize, deserialize })
const framed: Serializer = Object.freeze({ name: 'keyv', serialize, deserialize })

/**
 * The serializer for what Keyv hands a storage adapter: Keyv has already serialized the value
 * (`{"value":...,"expires":...}`), so a string is stored as its UTF-8 bytes, never JSON-encoded a
 * second time, and read back as the same string. Any other value (Keyv with its serialization
 * turned off passes `{ value, expires }` objects) is stored as JSON behind the 4-byte rediskit
 * frame header `c1 01 00 00`, so a plain rediskit cache reads it too.
 *
 * It is the default serializer of a cache that `KeyvRediskit` creates. Give it to a cache you
 * create yourself and pass to the adapter to get the same storage:
 * `new KeyvRediskit(createCache({ location, serializer: keyvSerializer() }))`.
 */
export function keyvSerializer(options: KeyvSerializerOptions = {}): Serializer {
  return options.framed === true ? framed : unframed
}
