/**
 * MD5 over bytes already in a buffer, returning the first 32 bits of the digest as ketama reads
 * them (little-endian word 0), or all four words.
 *
 * Written by hand because the ring must hash a key without allocating: node:crypto's
 * `createHash('md5')` allocates a Hash object and a digest Buffer per call. MD5 here is a
 * placement function, not a security measure. Tested against node:crypto on random inputs.
 */

// Per-round shift amounts and the sine-derived constants (RFC 1321).
const S = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
  21, 6, 10, 15, 21,
])
const K = new Int32Array(64)
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0

const block = new Int32Array(16)
const tail = new Uint8Array(128)
/** The four state words of the last digest (a, b, c, d), each a little-endian uint32 of the digest. */
export const md5State = new Uint32Array(4)

function compress(state: Uint32Array, words: Int32Array): void {
  let a = state[0]! | 0
  let b = state[1]! | 0
  let c = state[2]! | 0
  let d = state[3]! | 0
  for (let i = 0; i < 64; i++) {
    let f: number
    let g: number
    if (i < 16) {
      f = (b & c) | (~b & d)
      g = i
    } else if (i < 32) {
      f = (d & b) | (~d & c)
      g = (5 * i + 1) & 15
    } else if (i < 48) {
      f = b ^ c ^ d
      g = (3 * i + 5) & 15
    } else {
      f = c ^ (b | ~d)
      g = (7 * i) & 15
    }
    const t = d
    d = c
    c = b
    const x = (a + f + K[i]! + words[g]!) | 0
    const s = S[i]!
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
    a = t
  }
  state[0] = (state[0]! + a) >>> 0
  state[1] = (state[1]! + b) >>> 0
  state[2] = (state[2]! + c) >>> 0
  state[3] = (state[3]! + d) >>> 0
}

function loadBlock(bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4
    block[i] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)
  }
}

/**
 * Computes MD5 of `bytes[start, end)` into {@link md5State} and returns its first word (digest
 * bytes 0..3 read little-endian), which is the ketama key hash.
 */
export function md5(bytes: Uint8Array, start: number, end: number): number {
  const state = md5State
  state[0] = 0x67452301
  state[1] = 0xefcdab89
  state[2] = 0x98badcfe
  state[3] = 0x10325476
  const length = end - start
  let offset = start
  for (; offset + 64 <= end; offset += 64) {
    loadBlock(bytes, offset)
    compress(state, block)
  }
  // Padding: 0x80, zeros, then the bit length as a 64-bit little-endian number.
  const rest = end - offset
  tail.fill(0)
  for (let i = 0; i < rest; i++) tail[i] = bytes[offset + i]!
  tail[rest] = 0x80
  const tailLength = rest < 56 ? 64 : 128
  const bitsLow = (length * 8) >>> 0
  const bitsHigh = Math.floor(length / 0x20000000) >>> 0
  tail[tailLength - 8] = bitsLow & 0xff
  tail[tailLength - 7] = (bitsLow >>> 8) & 0xff
  tail[tailLength - 6] = (bitsLow >>> 16) & 0xff
  tail[tailLength - 5] = (bitsLow >>> 24) & 0xff
  tail[tailLength - 4] = bitsHigh & 0xff
  tail[tailLength - 3] = (bitsHigh >>> 8) & 0xff
  tail[tailLength - 2] = (bitsHigh >>> 16) & 0xff
  tail[tailLength - 1] = (bitsHigh >>> 24) & 0xff
  for (let o = 0; o < tailLength; o += 64) {
    loadBlock(tail, o)
    compress(state, block)
  }
  return state[0]!
}
