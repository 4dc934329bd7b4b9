import { isRediskitError, type Serializer } from '@rediskit/core'
import { Packr, Unpackr } from 'msgpackr'
import { decodeError, encodeError, isStackOverflow, messageOf } from './errors.js'
import { prepareForPack, registerExtensions } from './msgpack-extensions.js'

/** Options of {@link msgpack}. */
export interface MsgpackOptions {
  /**
   * Write plain objects as msgpackr record structures (default `true`): each distinct set of keys
   * is written once per value and referenced after that, so documents with repeated shapes are
   * smaller and encode and decode about twice as fast. The structure definitions are stored
   * in-band, inside each value (no shared structure state), so every value decodes on its own, in
   * any process. Records are a msgpackr extension that other MessagePack libraries cannot read;
   * `records: false` writes plain objects as standard MessagePack maps instead (also about 30%
   * faster for a lone small object). Values written with either setting are read by both.
   */
  records?: boolean | undefined
}

let unpackr: Unpackr | undefined

/** One decoder for every msgpack() serializer: it reads values written with and without records. */
function sharedUnpackr(): Unpackr {
  unpackr ??= new Unpackr({
    useRecords: false,
    mapsAsObjects: true,
    moreTypes: true,
    int64AsType: 'bigint',
    // Binary values come back as their own Buffers, never views that pin (or alias) the input.
    copyBuffers: true,
  })
  return unpackr
}

/**
 * MessagePack on msgpackr: compact and fast, with the rich types of `json()`: Date (timestamp
 * extension), Buffer and typed arrays, BigInt (int64, larger ones through msgpackr's BigInt
 * extension), Map, Set, undefined, NaN, Infinity, -0, RegExp and Error. Functions and symbols
 * fail with `E_ENCODE`, circular structures too.
 *
 * Objects are msgpackr record structures by default (see {@link MsgpackOptions.records}); with
 * `records: false`, plain objects, arrays, strings, numbers, booleans, null and binary data are
 * standard MessagePack that any library reads. The rich types use msgpackr extensions (Map: type
 * 0x6d, -0: type 0x6e, see the README).
 */
export function msgpack(options: MsgpackOptions = {}): Serializer {
  registerExtensions()
  const records = options.records ?? true
  const packr = new Packr({
    useRecords: records,
    moreTypes: true,
    useBigIntExtension: true,
    variableMapSize: true,
  })
  const reader = sharedUnpackr()
  return Object.freeze({
    name: 'msgpack',
    serialize(value: unknown): Buffer {
      try {
        return packr.pack(prepareForPack(value, 'msgpack'))
      } catch (error) {
        if (isRediskitError(error)) throw error
        if (isStackOverflow(error)) throw encodeError('msgpack', 'it is circular or nested too deeply', error)
        throw encodeError('msgpack', messageOf(error), error)
      }
    },
    deserialize(data: Buffer): unknown {
      if (data.length === 0) throw decodeError('msgpack', 'the value is empty')
      try {
        return reader.unpack(data)
      } catch (error) {
        if (isStackOverflow(error)) throw decodeError('msgpack', 'the value is nested too deeply', error)
        throw decodeError('msgpack', messageOf(error), error)
      }
    },
  })
}
