import { RediskitError } from '@rediskit/core'
import { isAsciiChunk, latin1Of, textOf, textOfPieces, viewAt, viewOf } from './buffer-view.js'
import { parseDouble } from './numbers.js'
import { type ErrorFactory, replyError } from './reply-error.js'
import type { DecoderOptions, MapMode, RespObject, RespValue, SetMode } from './resp-types.js'

// Type bytes.
const BLOB_STRING = 36 // $
const SIMPLE_STRING = 43 // +
const SIMPLE_ERROR = 45 // -
const INTEGER = 58 // :
const ARRAY = 42 // *
const NULL = 95 // _
const BOOLEAN = 35 // #
const DOUBLE = 44 // ,
const BIG_NUMBER = 40 // (
const BLOB_ERROR = 33 // !
const VERBATIM = 61 // =
const MAP = 37 // %
const SET = 126 // ~
const ATTRIBUTE = 124 // |
const PUSH = 62 // >
const CHUNK = 59 // ;  (a part of a streamed string)
const END = 46 // .  (the end of a streamed aggregate)

const CR = 13
const LF = 10

// Aggregate kinds on the stack.
const K_ARRAY = 1
const K_MAP = 2
const K_SET = 3
const K_PUSH = 4
const K_ATTRIBUTE = 5
const K_STREAMED_STRING = 6

/** Length of a streamed (`?`) aggregate or string, and of `-1` (RESP2 null). */
const STREAMED = -2
const NIL = -1

/** Results of the line readers besides a position. */
const INCOMPLETE = -1
const MALFORMED = -2

/** Aggregates up to this many slots are allocated up front; larger ones grow as elements arrive. */
const PREALLOCATE = 1024

const DEFAULT_MAX_DEPTH = 1024
const DEFAULT_MAX_ELEMENTS = 2 ** 27
const DEFAULT_MAX_BULK = 512 * 1024 * 1024
const DEFAULT_MAX_LINE = 1024 * 1024

const MINUS_ONE: readonly number[] = [45, 49, CR, LF]
const QUESTION_MARK: readonly number[] = [63, CR, LF]

/** The value a line reader parsed (module scratch: the decoder is synchronous and never re-entered mid-line). */
let scratch = 0
/** Where the digits of the last integer ended (the CR). */
let scratchEnd = 0

/**
 * Reads `digits CR LF` (an aggregate or bulk length), also `-1` (RESP2 null, scratch = NIL) and
 * `?` (streamed, scratch = STREAMED). Returns the position after LF, INCOMPLETE or MALFORMED.
 */
function readLength(buf: Buffer, p: number, end: number): number {
  if (p >= end) return INCOMPLETE
  let c = buf[p]!
  if (c === 45 /* - */ || c === 63 /* ? */) {
    const want = c === 45 ? MINUS_ONE : QUESTION_MARK
    for (let i = 0; i < want.length; i++) {
      if (p + i >= end) return INCOMPLETE
      if (buf[p + i] !== want[i]) return MALFORMED
    }
    scratch = c === 45 ? NIL : STREAMED
    return p + want.length
  }
  const start = p
  let n = 0
  while (p < end) {
    c = buf[p]!
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
    p++
  }
  if (p + 1 >= end) return p < end && buf[p] !== CR ? MALFORMED : INCOMPLETE
  if (p === start || p - start > 15 || buf[p] !== CR || buf[p + 1] !== LF) return MALFORMED
  scratch = n
  return p + 2
}

/**
 * Reads `[+|-]digits CR LF`. scratch = the value, or NaN when it is beyond 2^53 (the caller
 * re-reads the digits exactly); scratchEnd = the position of CR.
 */
function readInteger(buf: Buffer, p: number, end: number): number {
  if (p >= end) return INCOMPLETE
  let c = buf[p]!
  let negative = false
  if (c === 45 || c === 43) {
    negative = c === 45
    p++
  }
  const start = p
  let n = 0
  while (p < end) {
    c = buf[p]!
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
    p++
  }
  if (p + 1 >= end) return p < end && buf[p] !== CR ? MALFORMED : INCOMPLETE
  if (p === start || buf[p] !== CR || buf[p + 1] !== LF) return MALFORMED
  // Float arithmetic is exact while the value stays <= 2^53 - 1, and rounding is monotonic, so a
  // result above MAX_SAFE_INTEGER means the true value is too (and may have been rounded).
  scratch = n > Number.MAX_SAFE_INTEGER ? Number.NaN : negative && n !== 0 ? -n : n
  scratchEnd = p
  return p + 2
}

/** Position of the CR ending a line that starts at `p`, INCOMPLETE, or MALFORMED (CR not followed by LF). */
function findLineEnd(buf: Buffer, p: number, end: number): number {
  while (p < end && buf[p] !== CR) p++
  if (p + 1 >= end) return INCOMPLETE
  return buf[p + 1] === LF ? p : MALFORMED
}

/** Where the strings of the flat array being read are: [start, end) pairs, -1 for non-strings. */
let spans = new Float64Array(512)

function markSpan(index: number, start: number, end: number): void {
  if (spans.length < 2 * index + 2) {
    const grown = new Float64Array(spans.length * 2)
    grown.set(spans)
    spans = grown
  }
  spans[2 * index] = start
  spans[2 * index + 1] = end
}

/**
 * Fills in the strings of a flat array read from an ASCII chunk: the bytes from its first string
 * to its last are decoded once, and each element is a substring of that (V8 shares the memory:
 * an element kept alive keeps at most its own array reply's text alive, never unrelated data).
 */
function sliceSpan(items: RespValue[], count: number, buf: Buffer, first: number, last: number): void {
  const text = latin1Of(buf, first, last)
  for (let j = 0; j < count; j++) {
    const start = spans[2 * j]!
    if (start >= 0) items[j] = text.substring(start - first, spans[2 * j + 1]! - first)
  }
}

/** One open aggregate on the decoder's explicit stack. Frames are reused. */
class Frame {
  kind = 0
  /** Declared number of slots, or STREAMED. */
  length = 0
  index = 0
  items: RespValue[] = []
  /** Streamed strings: the parts and their total size. */
  parts: Buffer[] = []
  bytes = 0
}

const NO_ITEMS: RespValue[] = []

/** What the top of an unfinished bulk string is. */
interface PendingBulk {
  type: number
  length: number
  have: number
  pieces: Buffer[]
}

/**
 * A streaming RESP2/RESP3 decoder. Feed it the bytes of a connection in any split with
 * {@link Decoder.write}; it calls `onReply` once per complete top-level reply, in order.
 *
 * - Every RESP2 and RESP3 type, including attributes, push frames (to `onPush`), streamed
 *   strings (`$?` + `;` parts) and streamed aggregates (`*?` ... `.`).
 * - Iterative: nesting uses an explicit stack, so 50,000 levels (with `maxDepth` raised) cost
 *   memory, not call stack.
 * - Exact: integers beyond 2^53 and big numbers as `bigint` (or exact strings); doubles through
 *   the correctly rounded `Number()` of their text (`inf`, `-inf`, `nan`, `-nan`, E notation).
 * - Safe: map keys go into null-prototype objects (or `Map`s); depth, element counts and sizes
 *   are checked against limits before anything is allocated for them; Buffers it hands out are
 *   views of input chunks or of memory it allocated for that reply, never reused or written again.
 * - Strict: every line must end in CR LF, every bulk payload must be followed by CR LF, lengths
 *   are digits; anything else is `E_PROTOCOL`, after which the decoder is reset (it never guesses
 *   where the next reply starts). No reply is emitted before its final LF arrived.
 * - An exception thrown by a callback is not a protocol error: the decoder keeps its state,
 *   delivers the rest of the chunk, then rethrows the first such exception from `write()`.
 *
 * `write()` takes ownership of each chunk: do not modify a Buffer after passing it (socket
 * chunks are never reused by Node, so passing them straight through is safe and copy-free).
 */
export class Decoder {
  readonly #onReply: (reply: RespValue) => void
  readonly #onErrorReply: ((error: Error) => void) | undefined
  readonly #onPush: ((push: RespValue[]) => void) | undefined
  readonly #onAttribute: ((attributes: RespValue) => void) | undefined
  readonly #onProtocolError: ((error: RediskitError) => void) | undefined
  #bulkBuffers: boolean
  #simpleBuffers: boolean
  #stringNumbers: boolean
  #bigStrings: boolean
  readonly #maps: MapMode
  readonly #sets: SetMode
  readonly #errorFactory: ErrorFactory
  readonly #maxDepth: number
  readonly #maxElements: number
  readonly #maxBulk: number
  readonly #maxLine: number

  /** Open aggregates: frames[0 .. depth-1]. */
  readonly #frames: Frame[] = []
  #depth = 0
  /** The top frame is a streamed string: only `;` parts may follow. */
  #inStreamedString = false
  /** An incomplete line (from its type byte), in pieces. */
  #line: Buffer[] | undefined
  #lineBytes = 0
  /** An incomplete bulk payload. */
  #bulk: PendingBulk | undefined
  /** A protocol error met while reading the current chunk. */
  #failure: RediskitError | undefined
  /** The first exception a callback threw during the current write. */
  #callbackError: unknown
  #callbackFailed = false
  #running = false
  /** Chunks written from inside a callback, decoded after the current one. */
  #queued: Buffer[] = []
  /** Bumped by reset(): a reset from inside a callback stops the current chunk. */
  #generation = 0

  constructor(options: DecoderOptions) {
    if (typeof options?.onReply !== 'function') {
      throw new RediskitError('E_CONFIG', 'Decoder: options.onReply must be a function')
    }
    this.#onReply = options.onReply
    this.#onErrorReply = callback(options.onErrorReply, 'onErrorReply')
    this.#onPush = callback(options.onPush, 'onPush')
    this.#onAttribute = callback(options.onAttribute, 'onAttribute')
    this.#onProtocolError = callback(options.onProtocolError, 'onProtocolError')
    this.#bulkBuffers = false
    this.#simpleBuffers = false
    this.setReturnBuffers(options.returnBuffers ?? false)
    this.#stringNumbers = options.stringNumbers === true
    this.#bigStrings = options.bigNumbers === 'string'
    this.#maps = oneOf(options.maps, ['object', 'map', 'array'], 'maps')
    this.#sets = oneOf(options.sets, ['array', 'set'], 'sets')
    this.#errorFactory = options.errorFactory ?? replyError
    this.#maxDepth = limit(options.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth')
    this.#maxElements = limit(options.maxElements, DEFAULT_MAX_ELEMENTS, 'maxElements')
    this.#maxBulk = limit(options.maxBulkLength, DEFAULT_MAX_BULK, 'maxBulkLength')
    this.#maxLine = limit(options.maxLineLength, DEFAULT_MAX_LINE, 'maxLineLength')
  }

  /** Switches string output between strings and Buffers (see `returnBuffers`), effective for the next value. */
  setReturnBuffers(mode: boolean | 'bulk'): void {
    if (mode !== true && mode !== false && mode !== 'bulk') {
      throw new RediskitError('E_CONFIG', `Decoder: returnBuffers must be true, false or 'bulk'`)
    }
    this.#bulkBuffers = mode !== false
    this.#simpleBuffers = mode === true
  }

  /** Switches integers to decimal strings and back, effective for the next value. */
  setStringNumbers(on: boolean): void {
    this.#stringNumbers = on
  }

  /** True while part of a reply is buffered, waiting for more bytes. */
  get pending(): boolean {
    return this.#depth !== 0 || this.#line !== undefined || this.#bulk !== undefined
  }

  /** Drops every partial reply: the next byte written must start a new reply. */
  reset(): void {
    this.#clear()
    this.#queued = []
    this.#generation++
  }

  /**
   * Decodes a chunk. Complete replies are delivered to the callbacks before `write` returns; an
   * incomplete tail is kept for the next chunk.
   *
   * @throws RediskitError `E_PROTOCOL` when the input is not valid RESP and there is no
   *   `onProtocolError`; or the first exception a callback threw.
   */
  write(chunk: Buffer | Uint8Array): void {
    if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.#running) {
      // Written from inside a callback: decoded once the current chunk is done, in order.
      this.#queued.push(chunk as Buffer)
      return
    }
    this.#running = true
    try {
      this.#consume(chunk as Buffer)
      while (this.#queued.length > 0 && this.#failure === undefined) {
        this.#consume(this.#queued.shift()!)
      }
    } finally {
      this.#running = false
    }
    const failure = this.#failure
    if (failure !== undefined) {
      this.#failure = undefined
      this.#queued = []
      if (this.#onProtocolError === undefined) {
        this.#throwCallbackError()
        throw failure
      }
      this.#call(this.#onProtocolError, failure)
    }
    this.#throwCallbackError()
  }

  #throwCallbackError(): void {
    if (!this.#callbackFailed) return
    const error = this.#callbackError
    this.#callbackFailed = false
    this.#callbackError = undefined
    throw error
  }

  #consume(chunk: Buffer): void {
    const generation = this.#generation
    let pos = 0
    while (this.#line !== undefined) {
      const line = this.#line
      const last = line[line.length - 1]!
      if (last[last.length - 1] === CR && chunk[pos] !== LF && pos < chunk.length) {
        this.#fail('CR not followed by LF')
        return
      }
      const lf = chunk.indexOf(LF, pos)
      const total = this.#lineBytes + (lf === -1 ? chunk.length - pos : lf + 1 - pos)
      if (total > this.#maxLine) {
        this.#fail(`a line is longer than maxLineLength (${this.#maxLine} bytes)`)
        return
      }
      if (lf === -1) {
        // No LF: a CR anywhere but at the very end is a CR not followed by LF.
        const cr = chunk.indexOf(CR, pos)
        if (cr !== -1 && cr < chunk.length - 1) {
          this.#fail('CR not followed by LF')
          return
        }
        if (pos < chunk.length) line.push(pos === 0 ? chunk : chunk.subarray(pos))
        this.#lineBytes = total
        const type = line[0]![0]!
        if (type !== SIMPLE_STRING && type !== SIMPLE_ERROR && type !== DOUBLE) {
          // Lengths, integers and fixed tokens are checked as their bytes arrive (as they are
          // within one chunk): re-read the prefix, which fails at once on a bad byte.
          const prefix = Buffer.concat(line, total)
          this.#line = undefined
          this.#lineBytes = 0
          this.#run(prefix, 0, generation)
        }
        return
      }
      line.push(chunk.subarray(pos, lf + 1))
      const whole = Buffer.concat(line, total)
      this.#line = undefined
      this.#lineBytes = 0
      // The line's element ends at this LF, or (a simple string holding a bare LF) continues.
      this.#run(whole, 0, generation)
      if (this.#failure !== undefined || generation !== this.#generation) return
      pos = lf + 1
    }
    if (this.#bulk !== undefined) {
      pos = this.#continueBulk(chunk, pos)
      if (this.#failure !== undefined || generation !== this.#generation) return
    }
    if (pos < chunk.length) this.#run(chunk, pos, generation)
  }

  /** Decodes values from `buf[pos..]` until it ends; keeps an incomplete tail. */
  #run(buf: Buffer, pos: number, generation: number): void {
    const end = buf.length
    const memory = buf.buffer as ArrayBuffer
    const base = buf.byteOffset
    let ascii = -1
    while (pos < end) {
      const type = buf[pos]!
      if (this.#inStreamedString && type !== CHUNK) {
        this.#fail(`expected a streamed string part (';'), got ${describe(type)}`)
        return
      }
      let value: RespValue
      let isError = false
      switch (type) {
        case BLOB_STRING: {
          const next = readLength(buf, pos + 1, end)
          if (next < 0) {
            this.#lineProblem(next, buf, pos, 'bulk string length')
            return
          }
          const n = scratch
          if (n < 0) {
            if (n === NIL) {
              value = null
              pos = next
              break
            }
            this.#pushFrame(K_STREAMED_STRING, STREAMED)
            if (this.#failure !== undefined) return
            pos = next
            continue
          }
          if (n > this.#maxBulk) {
            this.#fail(`bulk string of ${n} bytes exceeds maxBulkLength`)
            return
          }
          const stop = next + n
          if (stop + 2 > end) {
            this.#bulk = { type, length: n, have: end - next, pieces: next < end ? [buf.subarray(next)] : [] }
            return
          }
          if (buf[stop] !== CR || buf[stop + 1] !== LF) {
            this.#fail(`${typeName(type)} not followed by CR LF`)
            return
          }
          if (this.#bulkBuffers) value = viewAt(memory, base + next, n)
          else {
            if (ascii === -1) ascii = isAsciiChunk(buf) ? 1 : 0
            value = textOf(buf, next, stop, ascii === 1)
          }
          pos = stop + 2
          break
        }
        case SIMPLE_STRING: {
          const cr = findLineEnd(buf, pos + 1, end)
          if (cr < 0) {
            this.#lineProblem(cr, buf, pos, 'simple string')
            return
          }
          if (this.#simpleBuffers) value = viewAt(memory, base + pos + 1, cr - pos - 1)
          else {
            if (ascii === -1) ascii = isAsciiChunk(buf) ? 1 : 0
            value = textOf(buf, pos + 1, cr, ascii === 1)
          }
          pos = cr + 2
          break
        }
        case INTEGER: {
          const next = readInteger(buf, pos + 1, end)
          if (next < 0) {
            this.#lineProblem(next, buf, pos, 'integer')
            return
          }
          value = this.#stringNumbers
            ? integerText(buf, pos + 1, scratchEnd)
            : !Number.isNaN(scratch)
              ? scratch
              : this.#big(integerText(buf, pos + 1, scratchEnd))
          pos = next
          break
        }
        case ARRAY:
        case MAP:
        case SET:
        case PUSH:
        case ATTRIBUTE: {
          const next = readLength(buf, pos + 1, end)
          if (next < 0) {
            this.#lineProblem(next, buf, pos, 'aggregate length')
            return
          }
          const n = scratch
          pos = next
          if (n === NIL) {
            if (type !== ARRAY) {
              this.#fail(`a null length is only valid for arrays, got ${describe(type)}`)
              return
            }
            value = null
            break
          }
          if (type === ARRAY && n > 0) {
            // Flat arrays of bulk strings, integers and nils (MGET, LRANGE, SCAN...) that are
            // whole in this chunk are read in one tight loop, without a stack frame per element.
            // Anything else (a nested aggregate, an incomplete or malformed element) leaves the
            // loop, and the general path continues from that element.
            if (this.#depth >= this.#maxDepth || n > this.#maxElements) {
              this.#pushFrame(K_ARRAY, n) // reports the limit
              return
            }
            const items: RespValue[] = n <= PREALLOCATE ? new Array(n) : []
            const bulkBuffers = this.#bulkBuffers
            const integers = !this.#stringNumbers
            const maxBulk = this.#maxBulk
            // String mode on an ASCII chunk: the array's strings are cut from one decoded span
            // (one call into C++ per array instead of one per element; see sliceSpan).
            if (!bulkBuffers && ascii === -1) ascii = isAsciiChunk(buf) ? 1 : 0
            const slicing = !bulkBuffers && ascii === 1
            let first = -1
            let last = -1
            let i = 0
            let p = pos
            while (i < n && p < end) {
              const t = buf[p]
              if (t === BLOB_STRING) {
                const q = readLength(buf, p + 1, end)
                if (q < 0) break
                const length = scratch
                if (length < 0) {
                  if (length !== NIL) break
                  if (slicing) markSpan(i, -1, -1)
                  items[i++] = null
                  p = q
                  continue
                }
                const stop = q + length
                if (length > maxBulk || stop + 2 > end || buf[stop] !== CR || buf[stop + 1] !== LF) break
                if (bulkBuffers) items[i++] = viewAt(memory, base + q, length)
                else if (slicing) {
                  if (first === -1) first = q
                  last = stop
                  markSpan(i, q, stop)
                  items[i++] = null
                } else items[i++] = textOf(buf, q, stop, false)
                p = stop + 2
              } else if (t === INTEGER && integers) {
                const q = readInteger(buf, p + 1, end)
                if (q < 0 || Number.isNaN(scratch)) break
                if (slicing) markSpan(i, -1, -1)
                items[i++] = scratch
                p = q
              } else {
                break
              }
            }
            if (first !== -1) sliceSpan(items, i, buf, first, last)
            pos = p
            if (i === n) {
              value = items
              break
            }
            this.#pushFrame(K_ARRAY, n, items, i)
            continue
          }
          const kind = kindOf(type)
          if (n === 0) {
            value = this.#finish(kind, [])
            if (kind === K_ATTRIBUTE) {
              this.#attribute(value)
              if (generation !== this.#generation) return
              continue
            }
            if (kind === K_PUSH && this.#depth === 0) {
              this.#push(value as RespValue[])
              if (generation !== this.#generation) return
              continue
            }
            break
          }
          this.#pushFrame(kind, n === STREAMED ? STREAMED : type === MAP || type === ATTRIBUTE ? n * 2 : n)
          if (this.#failure !== undefined) return
          continue
        }
        case SIMPLE_ERROR: {
          const cr = findLineEnd(buf, pos + 1, end)
          if (cr < 0) {
            this.#lineProblem(cr, buf, pos, 'error')
            return
          }
          value = this.#errorFactory(buf.toString('utf8', pos + 1, cr), false)
          isError = true
          pos = cr + 2
          break
        }
        case NULL: {
          if (end - pos < 3) {
            this.#partialFixed(buf, pos, end, NULL_LINE)
            return
          }
          if (buf[pos + 1] !== CR || buf[pos + 2] !== LF) {
            this.#fail('malformed null')
            return
          }
          value = null
          pos += 3
          break
        }
        case BOOLEAN: {
          if (end - pos < 4) {
            this.#partialFixed(buf, pos, end, undefined)
            return
          }
          const c = buf[pos + 1]
          if ((c !== 116 && c !== 102) || buf[pos + 2] !== CR || buf[pos + 3] !== LF) {
            this.#fail('malformed boolean (expected #t or #f)')
            return
          }
          value = c === 116
          pos += 4
          break
        }
        case DOUBLE: {
          const cr = findLineEnd(buf, pos + 1, end)
          if (cr < 0) {
            this.#lineProblem(cr, buf, pos, 'double')
            return
          }
          const parsed = parseDouble(latin1Of(buf, pos + 1, cr))
          if (parsed === undefined) {
            this.#fail('malformed double')
            return
          }
          value = parsed
          pos = cr + 2
          break
        }
        case BIG_NUMBER: {
          const next = readInteger(buf, pos + 1, end)
          if (next < 0) {
            this.#lineProblem(next, buf, pos, 'big number')
            return
          }
          value = this.#big(integerText(buf, pos + 1, scratchEnd))
          pos = next
          break
        }
        case BLOB_ERROR:
        case VERBATIM:
        case CHUNK: {
          const next = readLength(buf, pos + 1, end)
          if (next < 0) {
            this.#lineProblem(next, buf, pos, `${describe(type)} length`)
            return
          }
          const n = scratch
          if (n < 0) {
            this.#fail(`${describe(type)} cannot have length ${n === NIL ? '-1' : '?'}`)
            return
          }
          if (type === CHUNK) {
            if (!this.#inStreamedString) {
              this.#fail("a streamed string part (';') outside a streamed string")
              return
            }
            if (n === 0) {
              pos = next
              const frame = this.#frames[--this.#depth]!
              this.#inStreamedString = false
              value = this.#streamedString(frame)
              break
            }
          }
          if (n > this.#maxBulk) {
            this.#fail(`${describe(type)} of ${n} bytes exceeds maxBulkLength`)
            return
          }
          const stop = next + n
          if (stop + 2 > end) {
            this.#bulk = { type, length: n, have: end - next, pieces: next < end ? [buf.subarray(next)] : [] }
            return
          }
          if (buf[stop] !== CR || buf[stop + 1] !== LF) {
            this.#fail(`${typeName(type)} not followed by CR LF`)
            return
          }
          pos = stop + 2
          this.#blob(type, buf, next, n)
          if (this.#failure !== undefined || generation !== this.#generation) return
          continue
        }
        case END: {
          if (end - pos < 3) {
            this.#partialFixed(buf, pos, end, END_LINE)
            return
          }
          if (buf[pos + 1] !== CR || buf[pos + 2] !== LF) {
            this.#fail('malformed end of a streamed aggregate')
            return
          }
          pos += 3
          const frame = this.#depth === 0 ? undefined : this.#frames[this.#depth - 1]!
          if (frame === undefined || frame.length !== STREAMED || frame.kind === K_STREAMED_STRING) {
            this.#fail("an end marker ('.') outside a streamed aggregate")
            return
          }
          if ((frame.kind === K_MAP || frame.kind === K_ATTRIBUTE) && frame.index % 2 !== 0) {
            this.#fail('a streamed map ended after a key without its value')
            return
          }
          this.#depth--
          const kind = frame.kind
          const items = frame.items
          items.length = frame.index
          frame.items = NO_ITEMS
          value = this.#finish(kind, items)
          if (kind === K_ATTRIBUTE) {
            this.#attribute(value)
            if (generation !== this.#generation) return
            continue
          }
          if (kind === K_PUSH && this.#depth === 0) {
            this.#push(value as RespValue[])
            if (generation !== this.#generation) return
            continue
          }
          break
        }
        default:
          this.#fail(`unknown type byte ${describe(type)}`)
          return
      }
      if (this.#depth === 0 && !isError) {
        try {
          this.#onReply(value)
        } catch (error) {
          this.#callbackThrew(error)
        }
      } else {
        this.#put(value, isError)
      }
      if (generation !== this.#generation) return
    }
  }

  /** Continues an unfinished bulk payload with `chunk[pos..]`; returns where decoding resumes. */
  #continueBulk(chunk: Buffer, pos: number): number {
    const bulk = this.#bulk!
    const need = bulk.length + 2 - bulk.have
    const available = chunk.length - pos
    if (available < need) {
      if (available > 0) {
        bulk.pieces.push(pos === 0 ? chunk : chunk.subarray(pos))
        bulk.have += available
      }
      return chunk.length
    }
    this.#bulk = undefined
    const length = bulk.length
    if (bulk.have === 0) {
      // The whole payload is in this chunk.
      if (chunk[pos + length] !== CR || chunk[pos + length + 1] !== LF) {
        this.#fail(`${typeName(bulk.type)} not followed by CR LF`)
        return chunk.length
      }
      if (bulk.type === BLOB_STRING) {
        this.#put(
          this.#bulkBuffers ? viewOf(chunk, pos, length) : textOf(chunk, pos, pos + length, false),
          false,
        )
      } else {
        this.#blob(bulk.type, chunk, pos, length)
      }
      return pos + need
    }
    const pieces = bulk.pieces
    // CR LF are the last two bytes; with need === 1 the CR ended the previous piece.
    const previous = pieces[pieces.length - 1]!
    const cr = need >= 2 ? chunk[pos + need - 2] : previous[previous.length - 1]
    if (cr !== CR || chunk[pos + need - 1] !== LF) {
      this.#fail(`${typeName(bulk.type)} not followed by CR LF`)
      return chunk.length
    }
    if (need > 2) pieces.push(chunk.subarray(pos, pos + need - 2))
    if (bulk.type === BLOB_STRING && !this.#bulkBuffers) {
      this.#put(textOfPieces(pieces, length), false)
    } else {
      // One copy into memory of its own: never shared with anything handed out before or after.
      const whole = Buffer.concat(pieces, length)
      if (bulk.type === BLOB_STRING) this.#put(whole, false)
      else this.#blob(bulk.type, whole, 0, length)
    }
    return pos + need
  }

  /** A complete blob error, verbatim string or streamed string part at `buf[start, start + n)`. */
  #blob(type: number, buf: Buffer, start: number, n: number): void {
    if (type === BLOB_ERROR) {
      this.#put(this.#errorFactory(buf.toString('utf8', start, start + n), true), true)
      return
    }
    if (type === VERBATIM) {
      // "fmt:" then the text; the three-letter format (txt, mkd) is dropped.
      if (n < 4 || buf[start + 3] !== 58) {
        this.#fail('verbatim string without its "fmt:" prefix')
        return
      }
      this.#put(
        this.#bulkBuffers ? viewOf(buf, start + 4, n - 4) : textOf(buf, start + 4, start + n, false),
        false,
      )
      return
    }
    // A part of a streamed string.
    const frame = this.#frames[this.#depth - 1]!
    frame.bytes += n
    if (frame.bytes > this.#maxBulk) {
      this.#fail(`streamed string exceeds maxBulkLength (${this.#maxBulk} bytes)`)
      return
    }
    frame.parts.push(viewOf(buf, start, n))
  }

  #streamedString(frame: Frame): RespValue {
    const parts = frame.parts
    frame.parts = []
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, frame.bytes)
    frame.bytes = 0
    return this.#bulkBuffers ? whole : whole.toString('utf8')
  }

  /** Opens an aggregate of `slots` values (or STREAMED). */
  #pushFrame(kind: number, slots: number, items?: RespValue[], index = 0): void {
    if (this.#depth >= this.#maxDepth) {
      this.#fail(`nesting deeper than maxDepth (${this.#maxDepth})`)
      return
    }
    if (slots > this.#maxElements) {
      this.#fail(`an aggregate of ${slots} elements exceeds maxElements (${this.#maxElements})`)
      return
    }
    let frame = this.#frames[this.#depth]
    if (frame === undefined) {
      frame = new Frame()
      this.#frames[this.#depth] = frame
    }
    frame.kind = kind
    frame.length = slots
    frame.index = index
    frame.items =
      items ??
      (kind === K_STREAMED_STRING ? NO_ITEMS : slots > 0 && slots <= PREALLOCATE ? new Array(slots) : [])
    this.#depth++
    if (kind === K_STREAMED_STRING) {
      frame.parts = []
      frame.bytes = 0
      this.#inStreamedString = true
    }
  }

  /** Places a complete value: into the open aggregate, or out to the callbacks. */
  #put(value: RespValue, isError: boolean): void {
    while (this.#depth !== 0) {
      const frame = this.#frames[this.#depth - 1]!
      frame.items[frame.index++] = value
      if (frame.index !== frame.length) {
        if (frame.length === STREAMED && frame.index > this.#maxElements) {
          this.#fail(`a streamed aggregate exceeds maxElements (${this.#maxElements})`)
        }
        return
      }
      this.#depth--
      const kind = frame.kind
      const items = frame.items
      frame.items = NO_ITEMS
      value = this.#finish(kind, items)
      isError = false
      if (kind === K_ATTRIBUTE) {
        this.#attribute(value)
        return
      }
      if (kind === K_PUSH && this.#depth === 0) {
        this.#push(value as RespValue[])
        return
      }
    }
    if (isError && this.#onErrorReply !== undefined) this.#call(this.#onErrorReply, value as Error)
    else this.#call(this.#onReply, value)
  }

  #finish(kind: number, items: RespValue[]): RespValue {
    switch (kind) {
      case K_MAP:
      case K_ATTRIBUTE:
        return this.#map(items)
      case K_SET:
        return this.#sets === 'set' ? new Set(items.map(memberKey)) : items
      default:
        return items
    }
  }

  #map(items: RespValue[]): RespValue {
    const mode = this.#maps
    if (mode === 'array') return items
    if (mode === 'map') {
      const map = new Map<RespValue, RespValue>()
      for (let i = 0; i < items.length; i += 2) map.set(memberKey(items[i]!), items[i + 1]!)
      return map
    }
    const object: RespObject = Object.create(null) as RespObject
    for (let i = 0; i < items.length; i += 2) object[objectKey(items[i]!)] = items[i + 1]!
    return object
  }

  #attribute(attributes: RespValue): void {
    if (this.#onAttribute !== undefined) this.#call(this.#onAttribute, attributes)
  }

  #push(push: RespValue[]): void {
    if (this.#onPush !== undefined) this.#call(this.#onPush, push)
  }

  #call<T>(fn: (value: T) => void, value: T): void {
    try {
      fn(value)
    } catch (error) {
      this.#callbackThrew(error)
    }
  }

  #callbackThrew(error: unknown): void {
    if (!this.#callbackFailed) {
      this.#callbackFailed = true
      this.#callbackError = error
    }
  }

  #big(text: string): RespValue {
    return this.#bigStrings || this.#stringNumbers ? text : BigInt(text)
  }

  /** A line reader returned INCOMPLETE or MALFORMED for the element at `start`. */
  #lineProblem(result: number, buf: Buffer, start: number, what: string): void {
    if (result === MALFORMED) {
      this.#fail(`malformed ${what}`)
      return
    }
    this.#keepLine(buf, start)
  }

  /** A fixed-size element (`_`, `#x`, `.`) cut short: keep it if what is there is a valid prefix. */
  #partialFixed(buf: Buffer, start: number, end: number, expected: readonly number[] | undefined): void {
    for (let i = 1; start + i < end; i++) {
      const c = buf[start + i]
      const ok = expected === undefined ? (i === 1 ? c === 116 || c === 102 : c === CR) : c === expected[i]
      if (!ok) {
        this.#fail(`malformed ${describe(buf[start]!)}`)
        return
      }
    }
    this.#keepLine(buf, start)
  }

  #keepLine(buf: Buffer, start: number): void {
    const bytes = buf.length - start
    if (bytes > this.#maxLine) {
      this.#fail(`a line is longer than maxLineLength (${this.#maxLine} bytes)`)
      return
    }
    this.#line = [start === 0 ? buf : buf.subarray(start)]
    this.#lineBytes = bytes
  }

  #fail(reason: string): void {
    this.#clear()
    this.#generation++
    this.#failure = new RediskitError(
      'E_PROTOCOL',
      `invalid RESP from the server: ${reason}; the decoder was reset`,
    )
  }

  #clear(): void {
    for (let i = 0; i < this.#depth; i++) {
      const frame = this.#frames[i]!
      frame.items = NO_ITEMS
      frame.parts = []
    }
    // Keep a few frames for reuse; drop the memory of a deep one-off nesting.
    if (this.#frames.length > 64) this.#frames.length = 64
    this.#depth = 0
    this.#inStreamedString = false
    this.#line = undefined
    this.#lineBytes = 0
    this.#bulk = undefined
  }
}

const NULL_LINE = [NULL, CR, LF]
const END_LINE = [END, CR, LF]

function kindOf(type: number): number {
  switch (type) {
    case MAP:
      return K_MAP
    case SET:
      return K_SET
    case PUSH:
      return K_PUSH
    case ATTRIBUTE:
      return K_ATTRIBUTE
    default:
      return K_ARRAY
  }
}

/** The digits of an integer as text, without a leading '+'. */
function integerText(buf: Buffer, start: number, end: number): string {
  return buf[start] === 43 ? latin1Of(buf, start + 1, end) : latin1Of(buf, start, end)
}

/**
 * A map key as an object property name: strings as they are, Buffers as UTF-8, other scalars as
 * String(). An aggregate key (legal RESP3, never sent by Redis itself) cannot be a property name:
 * it becomes a shallow description that never throws (use `maps: 'map'` to keep such keys).
 */
function objectKey(key: RespValue): string {
  if (typeof key === 'string') return key
  if (Buffer.isBuffer(key)) return key.toString('utf8')
  if (typeof key !== 'object' || key === null || key instanceof Error) return String(key)
  if (Array.isArray(key)) return key.map(shallowKey).join(',')
  return Object.prototype.toString.call(key)
}

function shallowKey(value: RespValue): string {
  if (typeof value === 'object' && value !== null && !(value instanceof Error) && !Buffer.isBuffer(value)) {
    return Object.prototype.toString.call(value)
  }
  return objectKey(value)
}

/** A Map key or Set member: Buffers become strings (a Buffer key could only be found by identity). */
function memberKey(key: RespValue): RespValue {
  return Buffer.isBuffer(key) ? key.toString('utf8') : key
}

/** What a length-prefixed type is called in messages. */
function typeName(type: number): string {
  switch (type) {
    case BLOB_STRING:
      return 'bulk string'
    case BLOB_ERROR:
      return 'blob error'
    case VERBATIM:
      return 'verbatim string'
    default:
      return 'streamed string part'
  }
}

function describe(type: number): string {
  const char = String.fromCharCode(type)
  return type >= 33 && type <= 126 ? `'${char}'` : `0x${type.toString(16).padStart(2, '0')}`
}

function callback<T>(fn: T | undefined, name: string): T | undefined {
  if (fn !== undefined && typeof fn !== 'function') {
    throw new RediskitError('E_CONFIG', `Decoder: options.${name} must be a function`)
  }
  return fn
}

function oneOf<T extends string>(value: T | undefined, allowed: readonly T[], name: string): T {
  if (value === undefined) return allowed[0]!
  if (!allowed.includes(value)) {
    throw new RediskitError('E_CONFIG', `Decoder: options.${name} must be one of ${allowed.join(', ')}`)
  }
  return value
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 1)) {
    throw new RediskitError('E_CONFIG', `Decoder: options.${name} must be a positive number`)
  }
  return value
}
