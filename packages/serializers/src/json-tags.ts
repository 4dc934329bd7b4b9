import { encodeError } from './errors.js'

/**
 * The tagged encoding behind `json()`: values JSON cannot represent become single-key objects
 * whose key starts with `$rk:`. The result is standard JSON that any language can parse.
 *
 * | tag | value | JSON |
 * |---|---|---|
 * | `$rk:D` | Date | ISO 8601 string, `null` for an invalid Date |
 * | `$rk:B` | Buffer | base64 |
 * | `$rk:T` | other typed array (Uint8Array, Float64Array, ...) | `[constructor name, base64 of its bytes]` (platform byte order, little-endian on every supported platform) |
 * | `$rk:n` | BigInt | decimal string |
 * | `$rk:N` | NaN, Infinity, -Infinity, -0 | `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"` |
 * | `$rk:u` | undefined | `0` |
 * | `$rk:M` | Map | array of `[key, value]` pairs (both encoded recursively) |
 * | `$rk:S` | Set | array of values (encoded recursively) |
 * | `$rk:O` | a user object with exactly one key that starts with `$rk:` | the object itself: its key is taken literally |
 *
 * Only objects with exactly one key that starts with `$rk:` are read as tags, and the encoder
 * escapes every user object of that shape with `$rk:O`, so user data can never be mistaken for a tag.
 */
export const TAG_PREFIX = '$rk:'

/** Present in the JSON text whenever a tag is; its absence lets decoding skip the revive walk. */
export const TAG_MARKER = `"${TAG_PREFIX}`

const SERIALIZER = 'json'

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

const TYPED_ARRAYS = new Map<string, TypedArrayConstructor>([
  ['Int8Array', Int8Array],
  ['Uint8Array', Uint8Array],
  ['Uint8ClampedArray', Uint8ClampedArray],
  ['Int16Array', Int16Array],
  ['Uint16Array', Uint16Array],
  ['Int32Array', Int32Array],
  ['Uint32Array', Uint32Array],
  ['Float32Array', Float32Array],
  ['Float64Array', Float64Array],
  ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array],
])

const UNDEFINED_TAG = Object.freeze({ '$rk:u': 0 })

/**
 * `value` made JSON-safe with tags. Copy-on-write: objects and arrays without anything to tag are
 * returned as they are (no copy), so plain data costs one walk and nothing else.
 * Throws `E_ENCODE` for functions, symbols and DataViews; recursion on a cycle overflows the stack
 * (the caller turns that into `E_ENCODE`).
 */
export function toTagged(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return (value === 0 ? 1 / value > 0 : Number.isFinite(value)) ? value : { '$rk:N': numberName(value) }
    case 'object':
      return value === null ? null : taggedObject(value)
    case 'bigint':
      return { '$rk:n': value.toString() }
    case 'undefined':
      return UNDEFINED_TAG
    default:
      throw encodeError(SERIALIZER, `a ${typeof value} cannot be stored`)
  }
}

function taggedObject(value: object): unknown {
  if (Array.isArray(value)) return taggedArray(value)
  if (value instanceof Date) {
    return { '$rk:D': Number.isNaN(value.getTime()) ? null : value.toISOString() }
  }
  if (ArrayBuffer.isView(value)) return taggedView(value)
  if (value instanceof Map) {
    const pairs: unknown[] = []
    for (const [k, v] of value) pairs.push([toTagged(k), toTagged(v)])
    return { '$rk:M': pairs }
  }
  if (value instanceof Set) {
    const items: unknown[] = []
    for (const v of value) items.push(toTagged(v))
    return { '$rk:S': items }
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return toTagged(toJSON.call(value, ''))
  return taggedRecord(value as Record<string, unknown>)
}

function taggedArray(value: readonly unknown[]): unknown[] {
  let out: unknown[] | undefined
  for (let i = 0; i < value.length; i++) {
    const item = value[i]
    const tagged = toTagged(item)
    if (out !== undefined) out.push(tagged)
    else if (tagged !== item) {
      out = value.slice(0, i)
      out.push(tagged)
    }
  }
  return out ?? (value as unknown[])
}

function taggedRecord(value: Record<string, unknown>): unknown {
  const keys = Object.keys(value)
  let out: Record<string, unknown> | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    const item = value[key]
    const tagged = toTagged(item)
    if (out !== undefined) setOwn(out, key, tagged)
    else if (tagged !== item) {
      out = {}
      for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, value[keys[j] as string])
      setOwn(out, key, tagged)
    }
  }
  const result = out ?? value
  return keys.length === 1 && (keys[0] as string).startsWith(TAG_PREFIX) ? { '$rk:O': result } : result
}

function taggedView(value: ArrayBufferView): unknown {
  if (Buffer.isBuffer(value)) return { '$rk:B': value.toString('base64') }
  const name = value.constructor.name
  if (TYPED_ARRAYS.get(name) !== value.constructor) {
    throw encodeError(SERIALIZER, `a ${name} cannot be stored; use a typed array or a Buffer`)
  }
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return { '$rk:T': [name, bytes.toString('base64')] }
}

function numberName(value: number): string {
  if (value === 0) return '-0'
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? 'Infinity' : '-Infinity'
}

/** Own-property assignment that treats `__proto__` as a plain key (never the prototype setter). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

/** Thrown by {@link fromTagged} for a tag it does not know or a malformed payload. */
export class TagError extends Error {
  override readonly name = 'TagError'
}

/**
 * Replaces the tags in a `JSON.parse` result with the values they stand for, in place (parsed
 * objects are fresh and owned by the caller). Throws {@link TagError} for malformed tags.
 */
export function fromTagged(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'object' && item !== null) {
        const revived = fromTagged(item)
        if (revived !== item) value[i] = revived
      }
    }
    return value
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length === 1) {
    const key = keys[0] as string
    if (key.startsWith(TAG_PREFIX)) return fromTag(key, record[key])
  }
  reviveMembers(record, keys)
  return record
}

function reviveMembers(record: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    const item = record[key]
    if (typeof item === 'object' && item !== null) {
      const revived = fromTagged(item)
      // `record` came from JSON.parse, so `key` is an own data property: plain assignment sets it
      // (also for '__proto__'), it never reaches a prototype setter.
      if (revived !== item) record[key] = revived
    }
  }
}

function fromTag(tag: string, payload: unknown): unknown {
  switch (tag) {
    case '$rk:D':
      if (payload === null) return new Date(Number.NaN)
      return new Date(expectString(tag, payload))
    case '$rk:B':
      return Buffer.from(expectString(tag, payload), 'base64')
    case '$rk:T':
      return typedArray(payload)
    case '$rk:n':
      return bigint(expectString(tag, payload))
    case '$rk:N':
      return specialNumber(payload)
    case '$rk:u':
      return undefined
    case '$rk:M': {
      const pairs = expectArray(tag, payload)
      const map = new Map<unknown, unknown>()
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new TagError('a $rk:M entry is not a [key, value] pair')
        map.set(fromTagged(pair[0]), fromTagged(pair[1]))
      }
      return map
    }
    case '$rk:S': {
      const set = new Set<unknown>()
      for (const item of expectArray(tag, payload)) set.add(fromTagged(item))
      return set
    }
    case '$rk:O': {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new TagError('a $rk:O payload is not an object')
      }
      const record = payload as Record<string, unknown>
      reviveMembers(record, Object.keys(record))
      return record
    }
    default:
      throw new TagError(`unknown tag ${JSON.stringify(tag)}`)
  }
}

function expectString(tag: string, payload: unknown): string {
  if (typeof payload !== 'string') throw new TagError(`a ${tag} payload is not a string`)
  return payload
}

function expectArray(tag: string, payload: unknown): unknown[] {
  if (!Array.isArray(payload)) throw new TagError(`a ${tag} payload is not an array`)
  return payload
}

function bigint(text: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new TagError('a $rk:n payload is not a decimal integer')
  return BigInt(text)
}

function specialNumber(payload: unknown): number {
  switch (payload) {
    case 'NaN':
      return Number.NaN
    case 'Infinity':
      return Number.POSITIVE_INFINITY
    case '-Infinity':
      return Number.NEGATIVE_INFINITY
    case '-0':
      return -0
    default:
      throw new TagError('a $rk:N payload is not NaN, Infinity, -Infinity or -0')
  }
}

function typedArray(payload: unknown): ArrayBufferView {
  if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[1] !== 'string') {
    throw new TagError('a $rk:T payload is not [name, base64]')
  }
  const Ctor = TYPED_ARRAYS.get(String(payload[0]))
  if (Ctor === undefined) throw new TagError(`unknown typed array ${JSON.stringify(payload[0])}`)
  const bytes = Buffer.from(payload[1], 'base64')
  if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0)
    throw new TagError(`a ${Ctor.name} payload has a partial element`)
  // Copy into a fresh, aligned ArrayBuffer: a view on the decode buffer might be misaligned.
  const buffer = new ArrayBuffer(bytes.length)
  new Uint8Array(buffer).set(bytes)
  return new Ctor(buffer)
}
