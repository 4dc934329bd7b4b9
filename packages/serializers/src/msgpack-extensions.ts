import { addExtension } from 'msgpackr'
import { encodeError } from './errors.js'

/**
 * What msgpackr alone cannot keep apart, and how `msgpack()` keeps it:
 *
 * - A `Map` and a plain object are both MessagePack maps. Maps are written as extension
 *   {@link MAP_EXTENSION_TYPE} (a one-byte msgpackr "tag" extension followed by an array of
 *   alternating keys and values), so a reader gets a `Map` back and objects stay plain maps
 *   that any MessagePack library reads.
 * - msgpackr writes `-0` as the integer 0. `-0` is written as extension
 *   {@link NEGATIVE_ZERO_EXTENSION_TYPE} (fixext 1, payload `00`) instead.
 *
 * Both work by wrapping those values before packing ({@link prepareForPack}); the wrapper
 * classes are private to this module, so registering them changes nothing for other users of
 * msgpackr in the process. Extension types are process-wide in msgpackr: do not register
 * {@link MAP_EXTENSION_TYPE} for something else.
 */
export const MAP_EXTENSION_TYPE = 0x6d

/** The extension type that stands for -0. */
export const NEGATIVE_ZERO_EXTENSION_TYPE = 0x6e
const NEGATIVE_ZERO_PAYLOAD = Buffer.from([0])

class PackedMap {
  constructor(readonly flat: unknown[]) {}
}

class NegativeZero {}
const NEGATIVE_ZERO = new NegativeZero()

let registered = false

/** Registers the two extensions with msgpackr, once per process. */
export function registerExtensions(): void {
  if (registered) return
  registered = true
  addExtension({
    Class: PackedMap,
    type: MAP_EXTENSION_TYPE,
    write: (value: PackedMap) => value.flat,
    read: (flat: unknown) => {
      if (!Array.isArray(flat) || flat.length % 2 !== 0) {
        throw new Error('a Map extension does not hold an even-length array')
      }
      const map = new Map<unknown, unknown>()
      for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1])
      return map
    },
  })
  addExtension({
    Class: NegativeZero,
    type: NEGATIVE_ZERO_EXTENSION_TYPE,
    pack: () => NEGATIVE_ZERO_PAYLOAD,
    unpack: () => -0,
  })
}

/**
 * `value` with every Map and -0 wrapped for packing, and functions and symbols rejected
 * (`E_ENCODE`), at any depth. Copy-on-write: a value with none of them is returned as it is.
 */
export function prepareForPack(value: unknown, serializer: string): unknown {
  return prepare(value, serializer)
}

function prepare(value: unknown, serializer: string): unknown {
  const type = typeof value
  if (type === 'object') return value === null ? value : prepareObject(value as object, serializer)
  if (value === 0) return 1 / value > 0 ? value : NEGATIVE_ZERO
  if (type === 'function' || type === 'symbol') throw encodeError(serializer, `a ${type} cannot be stored`)
  return value
}

function prepareObject(value: object, serializer: string): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const prepared = prepare(item, serializer)
      if (out !== undefined) out.push(prepared)
      else if (prepared !== item) {
        out = value.slice(0, i)
        out.push(prepared)
      }
    }
    return out ?? value
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null)
    return prepareRecord(value as Record<string, unknown>, serializer)
  if (value instanceof Map) {
    const flat: unknown[] = []
    for (const [k, v] of value) flat.push(prepare(k, serializer), prepare(v, serializer))
    return new PackedMap(flat)
  }
  if (value instanceof Set) {
    let changed = false
    const items: unknown[] = []
    for (const item of value) {
      const prepared = prepare(item, serializer)
      if (prepared !== item) changed = true
      items.push(prepared)
    }
    return changed ? new Set(items) : value
  }
  // Dates, binary data, RegExps, Errors and objects with toJSON are msgpackr's to write.
  if (
    value instanceof Date ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof RegExp ||
    value instanceof Error ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return value
  }
  // Other class instances: msgpackr writes their own enumerable properties as a map.
  return prepareRecord(value as Record<string, unknown>, serializer)
}

function prepareRecord(value: Record<string, unknown>, serializer: string): unknown {
  let out: Record<string, unknown> | undefined
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    const item = value[key]
    const prepared = prepare(item, serializer)
    if (out !== undefined) setOwn(out, key, prepared)
    else if (prepared !== item) {
      out = {}
      for (const before in value) {
        if (before === key) break
        if (Object.hasOwn(value, before)) setOwn(out, before, value[before])
      }
      setOwn(out, key, prepared)
    }
  }
  return out ?? value
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}
