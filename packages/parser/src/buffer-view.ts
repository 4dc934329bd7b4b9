import { isAscii } from 'node:buffer'

type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer

/**
 * Fast views out of a received chunk.
 *
 * `buf.subarray(start, end)` goes through the typed-array species protocol (a getter lookup and a
 * generic construct) and costs several times what constructing the view directly does. Node's
 * own Buffer class, `FastBuffer` (what `Buffer.from`/`subarray` create), is reachable as
 * `Buffer[Symbol.species]`: constructing it directly gives a genuine Buffer (prototype
 * `Buffer.prototype`, so `deepStrictEqual` against any other Buffer holds) without the detour.
 * Where a runtime does not expose it that way, `Buffer.from(arrayBuffer, offset, length)` is used.
 */
const FastBuffer: ViewConstructor | undefined = (() => {
  const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species]
  if (typeof species !== 'function') return undefined
  try {
    const probe = new (species as ViewConstructor)(new ArrayBuffer(4), 1, 2)
    return Object.getPrototypeOf(probe) === Buffer.prototype && probe.length === 2
      ? (species as ViewConstructor)
      : undefined
  } catch {
    return undefined
  }
})()

/**
 * A Buffer over `length` bytes of `memory` from `offset`, sharing it (no copy). Take `memory`
 * and the base offset from the chunk once (`chunk.buffer`, `chunk.byteOffset`): those getters
 * cost more than the view.
 */
export function viewAt(memory: ArrayBuffer, offset: number, length: number): Buffer {
  return FastBuffer !== undefined
    ? new FastBuffer(memory, offset, length)
    : Buffer.from(memory, offset, length)
}

/** A Buffer over `chunk[start, start + length)`, sharing its memory. */
export function viewOf(chunk: Buffer, start: number, length: number): Buffer {
  return viewAt(chunk.buffer as ArrayBuffer, chunk.byteOffset + start, length)
}

/** Node's string slicers: undocumented, on Buffer.prototype since Node 0.x (Bun and Deno have them too). */
interface Slicers {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
}

const proto = Buffer.prototype as unknown as Partial<Slicers>
/** Direct method calls into C++; `toString(encoding, ...)` first validates and looks up the encoding. */
const NATIVE = typeof proto.latin1Slice === 'function' && typeof proto.utf8Slice === 'function'

function latin1(chunk: Buffer, start: number, end: number): string {
  return NATIVE ? (chunk as unknown as Slicers).latin1Slice(start, end) : chunk.toString('latin1', start, end)
}

function utf8(chunk: Buffer, start: number, end: number): string {
  return NATIVE ? (chunk as unknown as Slicers).utf8Slice(start, end) : chunk.toString('utf8', start, end)
}

/**
 * UTF-8 text of `chunk[start, end)`. When the whole chunk is known to be ASCII (`ascii`), the
 * bytes are copied as Latin-1: the same text without the UTF-8 decoder's work. Strings of up to
 * four ASCII bytes (`OK`, small numbers) are built in JS, which beats a call into C++.
 */
export function textOf(chunk: Buffer, start: number, end: number, ascii: boolean): string {
  if (end - start > 4 && NATIVE) {
    return ascii
      ? (chunk as unknown as Slicers).latin1Slice(start, end)
      : (chunk as unknown as Slicers).utf8Slice(start, end)
  }
  return shortText(chunk, start, end, ascii)
}

function shortText(chunk: Buffer, start: number, end: number, ascii: boolean): string {
  if (end - start <= 4) {
    const short = shortAscii(chunk, start, end - start)
    if (short !== undefined) return short
  }
  return ascii ? latin1(chunk, start, end) : utf8(chunk, start, end)
}

/** Latin-1 text of `chunk[start, end)`: for numbers and other ASCII-only protocol tokens. */
export function latin1Of(chunk: Buffer, start: number, end: number): string {
  return latin1(chunk, start, end)
}

function shortAscii(b: Buffer, s: number, length: number): string | undefined {
  switch (length) {
    case 0:
      return ''
    case 1: {
      const c = b[s]!
      return c < 128 ? String.fromCharCode(c) : undefined
    }
    case 2: {
      const c0 = b[s]!
      const c1 = b[s + 1]!
      return (c0 | c1) < 128 ? String.fromCharCode(c0, c1) : undefined
    }
    case 3: {
      const c0 = b[s]!
      const c1 = b[s + 1]!
      const c2 = b[s + 2]!
      return (c0 | c1 | c2) < 128 ? String.fromCharCode(c0, c1, c2) : undefined
    }
    default: {
      const c0 = b[s]!
      const c1 = b[s + 1]!
      const c2 = b[s + 2]!
      const c3 = b[s + 3]!
      return (c0 | c1 | c2 | c3) < 128 ? String.fromCharCode(c0, c1, c2, c3) : undefined
    }
  }
}

/**
 * The UTF-8 text of a string that arrived in pieces. When every piece is ASCII the pieces are
 * decoded one by one and joined (V8 joins long strings as ropes: no big copy); otherwise they
 * are concatenated and decoded at once, so a character split between two pieces decodes right.
 */
export function textOfPieces(pieces: readonly Buffer[], length: number): string {
  let allAscii = true
  for (const piece of pieces) {
    if (!isAscii(piece)) {
      allAscii = false
      break
    }
  }
  if (!allAscii) {
    const whole = Buffer.concat(pieces, length)
    return utf8(whole, 0, length)
  }
  let text = ''
  let left = length
  for (const piece of pieces) {
    const take = Math.min(piece.length, left)
    text += latin1(piece, 0, take)
    left -= take
    if (left === 0) break
  }
  return text
}

/** Whether every byte of `chunk` is below 0x80 (SIMD in Node; about 10 GB/s). */
export const isAsciiChunk: (chunk: Buffer) => boolean = isAscii
