import { describe, expect, it } from 'vitest'
import { Envelope, FLAG_SOFT_EXPIRY, FRAME_MAGIC, FRAME_VERSION } from '../src/envelope.js'
import { isRediskitError } from '../src/errors.js'
import { identityCompressor } from '../src/identity-compressor.js'
import { jsonSerializer } from '../src/json.js'
import type { Compressor, Serializer } from '../src/types.js'

const hex = (data: Buffer): string => data.toString('hex').replace(/(..)(?!$)/g, '$1 ')
const bytes = (text: string): Buffer => Buffer.from(text.replace(/ /g, ''), 'hex')

/**
 * A tiny run-length compressor for tests: pairs of (run length 1..255, byte). Throws on odd input,
 * like a real decompressor on corrupt data.
 */
function rle(id: number, name = `rle${id}`): Compressor & { compressCalls: number } {
  return {
    name,
    id,
    compressCalls: 0,
    compress(data: Buffer): Buffer {
      this.compressCalls++
      const out: number[] = []
      for (let i = 0; i < data.length; ) {
        let run = 1
        while (i + run < data.length && run < 255 && data[i + run] === data[i]) run++
        out.push(run, data[i] as number)
        i += run
      }
      return Buffer.from(out)
    },
    decompress(data: Buffer): Buffer {
      if (data.length % 2 !== 0) throw new Error('rle: odd length')
      const out: number[] = []
      for (let i = 0; i < data.length; i += 2)
        for (let r = 0; r < (data[i] as number); r++) out.push(data[i + 1] as number)
      return Buffer.from(out)
    },
  }
}

function decodeError(envelope: Envelope, data: Buffer): Error {
  try {
    envelope.decode(data)
  } catch (error) {
    expect(isRediskitError(error, 'E_DECODE')).toBe(true)
    return error as Error
  }
  throw new Error(`expected ${hex(data)} not to decode`)
}

describe('the stored value format: test vectors (also in the README)', () => {
  const envelope = new Envelope()

  it.each([
    // value, stored bytes
    [42, '34 32'],
    [0, '30'],
    [-7, '2d 37'],
    [Number.MAX_SAFE_INTEGER, '39 30 30 37 31 39 39 32 35 34 37 34 30 39 39 31'],
    [1.5, 'c1 01 00 00 31 2e 35'],
    [2 ** 53, 'c1 01 00 00 39 30 30 37 31 39 39 32 35 34 37 34 30 39 39 32'],
    ['hello', 'c1 01 00 00 22 68 65 6c 6c 6f 22'],
    ['42', 'c1 01 00 00 22 34 32 22'],
    ['é', 'c1 01 00 00 22 c3 a9 22'],
    [true, 'c1 01 00 00 74 72 75 65'],
    [null, 'c1 01 00 00 6e 75 6c 6c'],
    [{ a: [1, 2] }, 'c1 01 00 00 7b 22 61 22 3a 5b 31 2c 32 5d 7d'],
  ])('%j <-> %s', (value, stored) => {
    expect(hex(envelope.encode(value))).toBe(stored)
    expect(envelope.decode(bytes(stored))).toEqual(value)
  })

  it('frames with a compressor id when the payload is compressed', () => {
    const compressing = new Envelope({ compressor: rle(200), compressThreshold: 16 })
    const stored = 'c1 01 00 c8 01 22 14 78 01 22' // '"' + 20 x 'x' + '"' as (run, byte) pairs
    expect(hex(compressing.encode('x'.repeat(20)))).toBe(stored)
    expect(compressing.decode(bytes(stored))).toBe('x'.repeat(20))
  })

  it('reads (and writes) the soft-expiry field reserved for grace', () => {
    const stored = 'c1 01 01 00 00 00 01 8b cf e5 68 00 22 68 69 22' // 'hi', soft expiry 1700000000000
    expect(hex(envelope.encode('hi', 1_700_000_000_000))).toBe(stored)
    expect(envelope.decode(bytes(stored))).toBe('hi')
    expect(envelope.decodeEntry(bytes(stored))).toEqual({ value: 'hi', softExpiresAt: 1_700_000_000_000 })
    expect(envelope.decodeEntry(bytes('c1 01 00 00 22 68 69 22'))).toEqual({
      value: 'hi',
      softExpiresAt: undefined,
    })
    // With a soft expiry, integers are framed too (the field needs a frame).
    expect(hex(envelope.encode(5, 1_700_000_000_000))).toBe('c1 01 01 00 00 00 01 8b cf e5 68 00 35')
    expect(envelope.decodeEntry(bytes('35'))).toEqual({ value: 5, softExpiresAt: undefined })
  })

  it('exports the frame constants', () => {
    expect([FRAME_MAGIC, FRAME_VERSION, FLAG_SOFT_EXPIRY]).toEqual([0xc1, 1, 1])
  })

  it('reads canonical integers written by other clients, beyond 2^53 as bigint', () => {
    expect(envelope.decode(Buffer.from('123456789012345'))).toBe(123456789012345)
    expect(envelope.decode(Buffer.from('-9007199254740991'))).toBe(-9007199254740991)
    expect(envelope.decode(Buffer.from('9007199254740993'))).toBe(9007199254740993n)
    expect(envelope.decode(Buffer.from('-9223372036854775808'))).toBe(-9223372036854775808n)
  })
})

describe('undecodable bytes fail with E_DECODE, never a crash', () => {
  const envelope = new Envelope({ decompressors: [rle(200)] })

  it.each([
    ['empty', '', /empty/],
    ['magic only', 'c1', /truncated/],
    ['header cut', 'c1 01 00', /truncated/],
    ['soft expiry cut', 'c1 01 01 00 00 00 01', /truncated/],
    ['unknown frame version', 'c1 02 00 00 22 22', /frame version 2/],
    ['unknown flag bits', 'c1 01 80 00 22 22', /flags 0x80/],
    ['unknown compressor id', 'c1 01 00 07 01 22', /compressor id 7/],
    ['a decompressor that throws', 'c1 01 00 c8 01', /rle200 decompressor failed/],
    ['JSON that does not parse', 'c1 01 00 00 7b 22', /json serializer failed/],
    ['foreign JSON', '7b 22 61 22 3a 31 7d', /first byte 0x7b/],
    ['leading zero', '30 37', /neither/],
    ['minus zero', '2d 30', /neither/],
    ['plus sign', '2b 35', /neither/],
    ['a float from INCRBYFLOAT', '31 2e 35', /neither/],
    ['digits then junk', '31 32 61', /neither/],
    ['a lone minus', '2d', /neither/],
    ['long digits then junk', '31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 78', /neither/],
    ['UTF-8 text', '68 69', /first byte 0x68/],
  ])('%s', (_name, stored, message) => {
    expect(decodeError(envelope, bytes(stored)).message).toMatch(message)
  })

  it('keeps the underlying error as cause', () => {
    const error = decodeError(envelope, bytes('c1 01 00 00 7b'))
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  it('never evaluates stored data', () => {
    const stored = Buffer.concat([bytes('c1 01 00 00'), Buffer.from('{"__proto__":{"polluted":true},"x":1}')])
    const value = envelope.decode(stored) as Record<string, unknown>
    expect(value.x).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('encoding does no work it can skip', () => {
  it('never compresses under the threshold', () => {
    const compressor = rle(200)
    const envelope = new Envelope({ compressor, compressThreshold: 100 })
    const small = envelope.encode('a'.repeat(50))
    expect(compressor.compressCalls).toBe(0)
    expect(small[3]).toBe(0)
    envelope.encode('a'.repeat(200))
    expect(compressor.compressCalls).toBe(1)
  })

  it('stores the payload uncompressed when compression does not shrink it', () => {
    const compressor = rle(200)
    const envelope = new Envelope({ compressor, compressThreshold: 0 })
    const stored = envelope.encode('abcdefghijklmnop') // no runs: RLE doubles it
    expect(compressor.compressCalls).toBe(1)
    expect(stored[3]).toBe(0)
    expect(envelope.decode(stored)).toBe('abcdefghijklmnop')
  })

  it('hands the serializer a view of the stored bytes, not a copy', () => {
    let seen: Buffer | undefined
    const spy: Serializer = {
      name: 'spy',
      serialize: (value) => Buffer.from(String(value)),
      deserialize: (data) => {
        seen = data
        return data.toString()
      },
    }
    const envelope = new Envelope({ serializer: spy })
    const stored = envelope.encode('payload')
    expect(envelope.decode(stored)).toBe('payload')
    expect(seen?.buffer).toBe(stored.buffer)
    expect(seen?.byteOffset).toBe(stored.byteOffset + 4)
  })

  it('frames Buffer output of a serializer', () => {
    const binary: Serializer = {
      name: 'bin',
      serialize: () => Buffer.from([1, 2, 3]),
      deserialize: (data) => [...data],
    }
    const envelope = new Envelope({ serializer: binary })
    expect(hex(envelope.encode({}))).toBe('c1 01 00 00 01 02 03')
    expect(envelope.decode(bytes('c1 01 00 00 01 02 03'))).toEqual([1, 2, 3])
  })
})

describe('raw serializers', () => {
  const raw: Serializer = {
    name: 'raw',
    raw: true,
    serialize: (value) => (Buffer.isBuffer(value) ? value : String(value)),
    deserialize: (data) => data.toString('utf8'),
  }

  it('store the serializer output as is: no frame, no integer text, no compression', () => {
    const compressor = rle(200)
    const envelope = new Envelope({ serializer: raw, compressor, compressThreshold: 0 })
    expect(hex(envelope.encode('hello'))).toBe('68 65 6c 6c 6f')
    expect(hex(envelope.encode(42))).toBe('34 32')
    expect(envelope.decode(Buffer.from('42'))).toBe('42')
    expect(envelope.decode(bytes('c1 01'))).toBe(bytes('c1 01').toString('utf8'))
    expect(compressor.compressCalls).toBe(0)
  })
})

describe('the compressor registry', () => {
  const oldOne = rle(201, 'old')
  const newOne = rle(200, 'new')

  it('reads values written with another compressor when it is registered', () => {
    const writer = new Envelope({ compressor: oldOne, compressThreshold: 0 })
    const stored = writer.encode('z'.repeat(40))
    expect(stored[3]).toBe(201)
    const reader = new Envelope({ compressor: newOne, decompressors: [oldOne] })
    expect(reader.decode(stored)).toBe('z'.repeat(40))
    expect(reader.compressorFor(201)).toBe(oldOne)
    expect(reader.compressorFor(0)).toBe(identityCompressor)
  })

  it('fails with E_DECODE naming the id when it is not registered', () => {
    const stored = new Envelope({ compressor: oldOne, compressThreshold: 0 }).encode('z'.repeat(40))
    const reader = new Envelope({ compressor: newOne })
    expect(decodeError(reader, stored).message).toMatch(/compressor id 201.*decompressors/)
  })

  it('reads uncompressed frames whatever it is configured with', () => {
    expect(new Envelope({ compressor: newOne }).decode(bytes('c1 01 00 00 22 22'))).toBe('')
  })

  it('rejects two compressors sharing an id, and ids outside 0..255 (E_CONFIG)', () => {
    const clash = rle(200, 'other')
    expect(() => new Envelope({ compressor: newOne, decompressors: [clash] })).toThrow(
      /both use frame id 200/,
    )
    expect(() => new Envelope({ compressor: rle(256) })).toThrow(/ids are integers 0\.\.255/)
    expect(() => new Envelope({ compressor: rle(1.5) })).toThrow(/ids are integers/)
  })

  it('treats a compressor with id 0 as no compression', () => {
    const envelope = new Envelope({
      compressor: { ...identityCompressor, name: 'noop' },
      compressThreshold: 0,
    })
    expect(hex(envelope.encode('a'))).toBe('c1 01 00 00 22 61 22')
  })
})

describe('the built-in JSON serializer', () => {
  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['a nested bigint', { n: 1n }],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    [
      'a circular structure',
      (() => {
        const o: Record<string, unknown> = {}
        o.self = o
        return o
      })(),
    ],
    ['a toJSON returning undefined', { toJSON: () => undefined }],
  ])('refuses %s with E_ENCODE', (_name, value) => {
    let caught: unknown
    try {
      jsonSerializer.serialize(value)
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_ENCODE')).toBe(true)
  })

  it('round-trips what JSON represents', () => {
    const value = { s: 'x', n: 1.25, b: false, z: null, a: [1, 'two', { three: 3 }], u: 'ünïcödé 🎉' }
    expect(jsonSerializer.deserialize(Buffer.from(jsonSerializer.serialize(value)))).toEqual(value)
  })

  it('wraps serializer failures other than RediskitErrors as E_ENCODE in the envelope', () => {
    const broken: Serializer = {
      name: 'broken',
      serialize: () => {
        throw new TypeError('nope')
      },
      deserialize: () => null,
    }
    let caught: unknown
    try {
      new Envelope({ serializer: broken }).encode({})
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_ENCODE')).toBe(true)
    expect((caught as Error).message).toContain('broken serializer failed: nope')
  })
})

describe('JSON string values: the fast path decodes exactly as JSON.parse', () => {
  const envelope = new Envelope()
  const frame = (payload: string): Buffer =>
    Buffer.concat([Buffer.from([0xc1, 0x01, 0x00, 0x00]), Buffer.from(payload)])

  it('round-trips strings with and without characters to unescape', () => {
    for (const value of [
      '',
      'plain ascii',
      'x'.repeat(5000),
      'quote " inside',
      'back\\slash',
      'new\nline\ttab\u0000nul',
      'é ü ñ 日本語 🎉',
      '\ud800 lone surrogate',
      '\u007f del',
      '"',
    ]) {
      expect(envelope.decode(envelope.encode(value))).toBe(value)
    }
  })

  it('writes strings byte for byte as JSON.stringify would', () => {
    const samples = [
      '',
      'plain',
      'x'.repeat(3000),
      'quote " inside',
      'back\\slash',
      'tab\t',
      'é 日本語 🎉',
      '\ud800 lone',
      '\u007f',
      '\u2028 line separator',
    ]
    for (const value of samples) {
      const expected = Buffer.concat([
        Buffer.from([0xc1, 0x01, 0x00, 0x00]),
        Buffer.from(JSON.stringify(value)),
      ])
      expect(envelope.encode(value).equals(expected), JSON.stringify(value)).toBe(true)
      const soft = envelope.encode(value, 1_700_000_000_000)
      expect(envelope.decodeEntry(soft)).toEqual({ value, softExpiresAt: 1_700_000_000_000 })
    }
    // Above the threshold, a string goes to the compressor as before.
    const rle: Compressor = {
      name: 'count',
      id: 9,
      compress: (data) => Buffer.from(String(data.length)),
      decompress: () => Buffer.from(JSON.stringify('y'.repeat(50))),
    }
    const compressing = new Envelope({ compressor: rle, compressThreshold: 16 })
    expect(compressing.encode('y'.repeat(50))[3]).toBe(9)
    expect(compressing.decode(compressing.encode('y'.repeat(50)))).toBe('y'.repeat(50))
    expect(compressing.encode('short')[3]).toBe(0)
  })

  it('rejects what JSON.parse rejects (raw control characters, stray quotes, no closing quote)', () => {
    for (const payload of ['"raw\u0001control"', '"stray"quote"', '"unterminated', '"']) {
      let caught: unknown
      try {
        envelope.decode(frame(payload))
      } catch (error) {
        caught = error
      }
      expect(isRediskitError(caught, 'E_DECODE'), payload).toBe(true)
    }
    expect(envelope.decode(frame('"ok"'))).toBe('ok')
    expect(envelope.decode(frame('"a\\"b"'))).toBe('a"b')
  })
})
