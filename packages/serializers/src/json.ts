import { isRediskitError, type Serializer } from '@rediskit/core'
import { decodeError, encodeError, isStackOverflow, messageOf } from './errors.js'
import { fromTagged, TAG_MARKER, toTagged } from './json-tags.js'

/** Options of {@link json}. */
export interface JsonOptions {
  /**
   * Standard JSON only, for values other languages read and write: `JSON.stringify` /
   * `JSON.parse`, no tags. Values JSON cannot hold fail with `E_ENCODE` at the top level
   * (undefined, functions, symbols, BigInt anywhere, NaN/Infinity, cycles); nested, JSON's own
   * rules apply (Date -> ISO string, NaN -> null, undefined members dropped). Default `false`.
   */
  plain?: boolean | undefined
}

/**
 * A JSON serializer that round-trips what plain JSON loses: Date, Buffer, typed arrays
 * (Uint8Array, Float64Array, ...), BigInt, Map, Set, undefined, NaN, Infinity and -0, at any depth.
 * They are stored as small tagged objects (`{"$rk:D":"2024-05-01T00:00:00.000Z"}`), so the
 * stored text stays standard JSON. User objects that look like tags are escaped, so they come back
 * exactly as they were. Functions, symbols and circular structures fail with `E_ENCODE`.
 *
 * Class instances are stored like `JSON.stringify` stores them: through `toJSON()` when they have
 * one, otherwise as their own enumerable properties (they come back as plain objects).
 *
 * `json({ plain: true })` is standard JSON for interop with other languages.
 */
export function json(options: JsonOptions = {}): Serializer {
  return options.plain === true ? plainJson : richJson
}

const richJson: Serializer = Object.freeze({
  name: 'json',
  serialize(value: unknown): string {
    try {
      return JSON.stringify(toTagged(value))
    } catch (error) {
      throw encodeFailure('json', error)
    }
  },
  deserialize(data: Buffer): unknown {
    const text = data.toString('utf8')
    const parsed = parse('json', text)
    if (!text.includes(TAG_MARKER)) return parsed
    try {
      return fromTagged(parsed)
    } catch (error) {
      if (isStackOverflow(error)) throw decodeError('json', 'the value is nested too deeply', error)
      throw decodeError('json', messageOf(error), error)
    }
  },
})

const plainJson: Serializer = Object.freeze({
  name: 'json-plain',
  serialize(value: unknown): string {
    const type = typeof value
    if (type === 'undefined' || type === 'function' || type === 'symbol' || type === 'bigint') {
      throw encodeError('json-plain', `standard JSON has no ${type}; use json() for rich types`)
    }
    if (type === 'number' && !Number.isFinite(value as number)) {
      throw encodeError('json-plain', `standard JSON has no ${String(value)}; use json() for rich types`)
    }
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw encodeFailure('json-plain', error)
    }
    if (text === undefined) throw encodeError('json-plain', 'its toJSON() returned undefined')
    return text
  },
  deserialize(data: Buffer): unknown {
    return parse('json-plain', data.toString('utf8'))
  },
})

function parse(name: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw decodeError(name, messageOf(error), error)
  }
}

function encodeFailure(name: string, error: unknown): Error {
  if (isRediskitError(error)) return error
  if (isStackOverflow(error)) return encodeError(name, 'it is circular or nested too deeply', error)
  return encodeError(name, messageOf(error), error)
}
