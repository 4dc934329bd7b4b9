import { isRediskitError, RediskitError } from './errors.js'
import { identityCompressor } from './identity-compressor.js'
import { jsonSerializer } from './json.js'
import type { Compressor, Serializer } from './types.js'

/**
 * The stored value format (documented with test vectors in the package README).
 *
 * - A safe integer (`Number.isSafeInteger`) is stored as its decimal ASCII text (`42` -> `34 32`),
 *   so INCRBY works on it and other clients read it.
 * - Every other value is a frame:
 *
 *   | offset | size | field |
 *   |---|---|---|
 *   | 0 | 1 | magic `0xC1` (never the first byte of UTF-8 text, a digit or `-`) |
 *   | 1 | 1 | format version, `0x01` |
 *   | 2 | 1 | flags: bit 0 = a soft-expiry timestamp follows; other bits reserved (must be 0) |
 *   | 3 | 1 | compressor id (`0` = not compressed) |
 *   | 4 | 8 | only with flag bit 0: soft expiry, epoch ms, unsigned big-endian (for `grace`) |
 *   | 4 or 12 | rest | payload: the serializer's output, compressed with the compressor id when not 0 |
 *
 * - With a `raw` serializer there is no frame: the serializer's bytes are the stored value.
 */
export const FRAME_MAGIC = 0xc1
/** The frame format version this code writes and reads. */
export const FRAME_VERSION = 1
/** Flag bit: an 8-byte soft-expiry timestamp follows the header. */
export const FLAG_SOFT_EXPIRY = 0x01
const KNOWN_FLAGS = FLAG_SOFT_EXPIRY
/** Characters JSON.stringify escapes in a string (surrogates: conservatively, also paired ones). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly the control characters U+0000-U+001F.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/
const HEADER_SIZE = 4
const TIMESTAMP_SIZE = 8
const TWO_POW_32 = 2 ** 32

/** Options of {@link Envelope}. */
export interface EnvelopeOptions {
  /** Default: the built-in JSON serializer. */
  serializer?: Serializer | undefined
  /** Default: none (id 0). */
  compressor?: Compressor | undefined
  /** Payloads of fewer bytes are never compressed. Default 1024. */
  compressThreshold?: number | undefined
  /** Extra compressors this envelope can read (by their frame id), e.g. the previous one. */
  decompressors?: readonly Compressor[] | undefined
}

/** A decoded frame: the value and, when the frame carries one, its soft expiry (epoch ms). */
export interface DecodedEntry {
  value: unknown
  softExpiresAt: number | undefined
}

/**
 * Encodes values into stored bytes and back (see the format above). Decoding never evaluates
 * stored data; anything that does not decode throws `RediskitError` `E_DECODE`.
 */
export class Envelope {
  readonly serializer: Serializer
  readonly compressor: Compressor
  readonly compressThreshold: number
  readonly #raw: boolean
  readonly #plainJson: boolean
  readonly #compressors: (Compressor | undefined)[] = new Array(256)

  constructor(options: EnvelopeOptions = {}) {
    this.serializer = options.serializer ?? jsonSerializer
    this.compressor = options.compressor ?? identityCompressor
    this.compressThreshold = options.compressThreshold ?? 1024
    this.#raw = this.serializer.raw === true
    this.#plainJson = this.serializer === jsonSerializer
    this.#compressors[0] = identityCompressor
    for (const compressor of [...(options.decompressors ?? []), this.compressor]) {
      this.#register(compressor)
    }
  }

  /** The compressor registered for frame id `id`, if any. */
  compressorFor(id: number): Compressor | undefined {
    return this.#compressors[id]
  }

  /**
   * The stored bytes of `value`. `softExpiresAt` (epoch ms) adds the soft-expiry field; such
   * values are always framed, integers too. Throws `E_ENCODE` when the serializer or compressor fails.
   */
  encode(value: unknown, softExpiresAt?: number): Buffer {
    if (this.#raw) return toBuffer(this.#serialize(value))
    if (softExpiresAt === undefined && typeof value === 'number' && Number.isSafeInteger(value)) {
      return Buffer.from(String(value), 'latin1')
    }
    const extra = softExpiresAt === undefined ? 0 : TIMESTAMP_SIZE
    const compressor = this.compressor
    if (this.#plainJson && typeof value === 'string' && !NEEDS_ESCAPE.test(value)) {
      // A string JSON.stringify would only wrap in quotes: written directly, same bytes.
      const size = Buffer.byteLength(value, 'utf8') + 2
      if (compressor.id === 0 || size < this.compressThreshold) {
        const frame = Buffer.allocUnsafe(HEADER_SIZE + extra + size)
        writeHeader(frame, 0, softExpiresAt)
        const start = HEADER_SIZE + extra
        frame[start] = 0x22
        frame.write(value, start + 1, 'utf8')
        frame[start + size - 1] = 0x22
        return frame
      }
    }
    const serialized = this.#serialize(value)
    const size = typeof serialized === 'string' ? Buffer.byteLength(serialized, 'utf8') : serialized.length
    if (compressor.id === 0 || size < this.compressThreshold) {
      const frame = Buffer.allocUnsafe(HEADER_SIZE + extra + size)
      writeHeader(frame, 0, softExpiresAt)
      if (typeof serialized === 'string') frame.write(serialized, HEADER_SIZE + extra, 'utf8')
      else serialized.copy(frame, HEADER_SIZE + extra)
      return frame
    }
    const payload = toBuffer(serialized)
    let compressed: Buffer
    try {
      compressed = compressor.compress(payload)
    } catch (error) {
      throw new RediskitError('E_ENCODE', `The ${compressor.name} compressor failed: ${messageOf(error)}`, {
        cause: error,
      })
    }
    const useCompressed = compressed.length < payload.length
    const body = useCompressed ? compressed : payload
    const frame = Buffer.allocUnsafe(HEADER_SIZE + extra + body.length)
    writeHeader(frame, useCompressed ? compressor.id : 0, softExpiresAt)
    body.copy(frame, HEADER_SIZE + extra)
    return frame
  }

  /** The value stored in `data`. Throws `E_DECODE` for bytes that do not decode. */
  decode(data: Buffer): unknown {
    if (this.#raw) return this.#deserialize(data)
    if (data[0] !== FRAME_MAGIC) return decodeInteger(data)
    if (
      this.#plainJson &&
      data[1] === FRAME_VERSION &&
      data[2] === 0 &&
      data[3] === 0 &&
      data.length >= HEADER_SIZE
    ) {
      // The common case, without a payload view: uncompressed JSON with no optional field.
      const text = plainJsonString(data)
      if (text !== undefined) return text
      try {
        return JSON.parse(data.toString('utf8', HEADER_SIZE))
      } catch (error) {
        throw decodeError(`the json serializer failed: ${messageOf(error)}`, error)
      }
    }
    return this.#deserialize(this.#payload(data, undefined))
  }

  /**
   * The soft expiry (epoch ms) recorded in `data`, or `undefined` when it has none (no frame, raw
   * serializer, flag not set, or too short to hold it). Cheap: reads the header only.
   */
  softExpiryOf(data: Buffer): number | undefined {
    if (
      this.#raw ||
      data[0] !== FRAME_MAGIC ||
      ((data[2] as number) & FLAG_SOFT_EXPIRY) === 0 ||
      data.length < HEADER_SIZE + TIMESTAMP_SIZE
    ) {
      return undefined
    }
    return (data.readUInt32BE(HEADER_SIZE) as number) * TWO_POW_32 + data.readUInt32BE(HEADER_SIZE + 4)
  }

  /** Like {@link decode}, also returning the frame's soft expiry (epoch ms) when it has one. */
  decodeEntry(data: Buffer): DecodedEntry {
    if (this.#raw || data[0] !== FRAME_MAGIC) return { value: this.decode(data), softExpiresAt: undefined }
    const entry: DecodedEntry = { value: undefined, softExpiresAt: undefined }
    entry.value = this.#deserialize(this.#payload(data, entry))
    return entry
  }

  #payload(data: Buffer, entry: DecodedEntry | undefined): Buffer {
    if (data.length < HEADER_SIZE) throw decodeError('the frame is truncated')
    const version = data[1] as number
    if (version !== FRAME_VERSION) throw decodeError(`unknown frame version ${version}`)
    const flags = data[2] as number
    if ((flags & ~KNOWN_FLAGS) !== 0) throw decodeError(`unknown frame flags 0x${flags.toString(16)}`)
    const id = data[3] as number
    let offset = HEADER_SIZE
    if ((flags & FLAG_SOFT_EXPIRY) !== 0) {
      if (data.length < offset + TIMESTAMP_SIZE) throw decodeError('the frame is truncated')
      if (entry !== undefined) {
        entry.softExpiresAt =
          (data.readUInt32BE(offset) as number) * TWO_POW_32 + data.readUInt32BE(offset + 4)
      }
      offset += TIMESTAMP_SIZE
    }
    const payload = data.subarray(offset)
    if (id === 0) return payload
    const compressor = this.#compressors[id]
    if (compressor === undefined) {
      throw decodeError(
        `unknown compressor id ${id}; pass that compressor in the cache's decompressors option to read it`,
      )
    }
    try {
      return compressor.decompress(payload)
    } catch (error) {
      throw decodeError(`the ${compressor.name} decompressor failed: ${messageOf(error)}`, error)
    }
  }

  #serialize(value: unknown): Buffer | string {
    try {
      return this.serializer.serialize(value)
    } catch (error) {
      if (isRediskitError(error)) throw error
      throw new RediskitError(
        'E_ENCODE',
        `The ${this.serializer.name} serializer failed: ${messageOf(error)}`,
        {
          cause: error,
        },
      )
    }
  }

  #deserialize(data: Buffer): unknown {
    try {
      return this.serializer.deserialize(data)
    } catch (error) {
      if (isRediskitError(error, 'E_DECODE')) throw error
      throw decodeError(`the ${this.serializer.name} serializer failed: ${messageOf(error)}`, error)
    }
  }

  #register(compressor: Compressor): void {
    const { id } = compressor
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RediskitError(
        'E_CONFIG',
        `Compressor ${compressor.name} has id ${id}; ids are integers 0..255`,
        {
          details: { option: 'compressor' },
        },
      )
    }
    if (id === 0) return
    const known = this.#compressors[id]
    if (known !== undefined && known !== compressor && known.name !== compressor.name) {
      throw new RediskitError(
        'E_CONFIG',
        `Compressors ${known.name} and ${compressor.name} both use frame id ${id}; ids must be unique`,
        { details: { option: 'decompressors' } },
      )
    }
    this.#compressors[id] = compressor
  }
}

/**
 * A JSON string payload with nothing to unescape (no `\`, no `"` inside, no control character:
 * exactly what `JSON.parse` would return) as its text, without parsing; `undefined` otherwise.
 * Half the cost of `JSON.parse(toString())` for string values.
 */
function plainJsonString(data: Buffer): string | undefined {
  const end = data.length - 1
  if (end <= HEADER_SIZE || data[HEADER_SIZE] !== 0x22 || data[end] !== 0x22) return undefined
  for (let i = HEADER_SIZE + 1; i < end; i++) {
    const byte = data[i] as number
    if (byte < 0x20 || byte === 0x22 || byte === 0x5c) return undefined
  }
  return data.toString('utf8', HEADER_SIZE + 1, end)
}

function writeHeader(frame: Buffer, compressorId: number, softExpiresAt: number | undefined): void {
  frame[0] = FRAME_MAGIC
  frame[1] = FRAME_VERSION
  frame[3] = compressorId
  if (softExpiresAt === undefined) {
    frame[2] = 0
  } else {
    frame[2] = FLAG_SOFT_EXPIRY
    const ms = Math.max(0, Math.floor(softExpiresAt))
    frame.writeUInt32BE(Math.floor(ms / TWO_POW_32), HEADER_SIZE)
    frame.writeUInt32BE(ms % TWO_POW_32, HEADER_SIZE + 4)
  }
}

/**
 * Decodes a canonical decimal integer (`0`, `-12`, `42`; no `+`, no leading zeros, no `-0`), the
 * form INCRBY writes. Integers beyond Number.MAX_SAFE_INTEGER come back as a `bigint` rather than
 * a rounded number.
 */
function decodeInteger(data: Buffer): number | bigint {
  const n = data.length
  let i = data[0] === 0x2d ? 1 : 0
  if (i >= n) throw foreign(data)
  if (data[i] === 0x30 && (n > i + 1 || i === 1)) throw foreign(data)
  if (n - i > 15) {
    for (let j = i; j < n; j++) {
      const d = data[j] as number
      if (d < 0x30 || d > 0x39) throw foreign(data)
    }
    const big = BigInt(data.toString('latin1'))
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big
  }
  let value = 0
  for (; i < n; i++) {
    const d = (data[i] as number) - 0x30
    if (d < 0 || d > 9) throw foreign(data)
    value = value * 10 + d
  }
  return data[0] === 0x2d ? -value : value
}

function foreign(data: Buffer): RediskitError {
  return decodeError(
    data.length === 0
      ? 'the value is empty'
      : `the value is neither a rediskit frame nor a decimal integer (first byte 0x${(data[0] as number).toString(16).padStart(2, '0')})`,
  )
}

function decodeError(reason: string, cause?: unknown): RediskitError {
  return new RediskitError(
    'E_DECODE',
    `Cannot decode the stored value: ${reason}`,
    cause === undefined ? {} : { cause },
  )
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
