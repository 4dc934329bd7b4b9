import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import { Envelope, isRediskitError, jsonSerializer } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import {
  allCompressors,
  brotli,
  COMPRESSOR_IDS,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  deflate,
  gzip,
  LZ4_HEADER_SIZE,
  lz4,
  none,
  zstd,
  zstdAvailable,
} from '../src/index.js'
import { unavailable } from '../src/unavailable.js'

function errorOf(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run()
  } catch (error) {
    if (isRediskitError(error)) return { code: error.code, message: error.message }
    return { code: `not a RediskitError: ${String(error)}`, message: String(error) }
  }
  return undefined
}

const doc = Buffer.from(
  JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `user${i}`, role: 'member' }))),
)

describe('ids', () => {
  it('are the documented, stable table', () => {
    expect(COMPRESSOR_IDS).toStrictEqual({ none: 0, gzip: 1, deflate: 2, brotli: 3, lz4: 4, zstd: 5 })
    expect([none().id, gzip().id, deflate().id, brotli().id, lz4().id]).toStrictEqual([0, 1, 2, 3, 4])
  })

  it('allCompressors() has one compressor per id, 0..5', () => {
    const all = allCompressors()
    expect(all.map((c) => c.id)).toStrictEqual([0, 1, 2, 3, 4, 5])
    expect(all.map((c) => c.name)).toStrictEqual(['none', 'gzip', 'deflate', 'brotli', 'lz4', 'zstd'])
    expect(all.every((c) => c.id === 0 || typeof c.decompress === 'function')).toBe(true)
  })
})

describe('options', () => {
  it('default maxDecompressedBytes is 64 MiB, and the option is reported', () => {
    expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(64 * 1024 * 1024)
    expect(gzip().maxDecompressedBytes).toBe(64 * 1024 * 1024)
    expect(lz4({ maxDecompressedBytes: 10 }).maxDecompressedBytes).toBe(10)
  })

  it('rejects a bad maxDecompressedBytes with E_CONFIG', () => {
    for (const bad of [0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN]) {
      for (const make of [none, gzip, deflate, brotli, lz4]) {
        expect(errorOf(() => make({ maxDecompressedBytes: bad }))?.code, `${make.name}(${bad})`).toBe(
          'E_CONFIG',
        )
      }
    }
  })

  it('rejects a level out of range with E_CONFIG, naming the range', () => {
    expect(errorOf(() => gzip({ level: 10 }))).toMatchObject({
      code: 'E_CONFIG',
      message: expect.stringMatching(/-1 to 9/),
    })
    expect(errorOf(() => deflate({ level: -2 }))?.code).toBe('E_CONFIG')
    expect(errorOf(() => brotli({ level: 12 }))).toMatchObject({
      code: 'E_CONFIG',
      message: expect.stringMatching(/0 to 11/),
    })
    expect(errorOf(() => brotli({ level: 1.5 }))?.code).toBe('E_CONFIG')
    expect(errorOf(() => zstd({ level: 23 }))?.code).toBe('E_CONFIG')
  })

  it('reports the level in use: zlib 6, brotli 4, zstd 3 by default', () => {
    expect(gzip().level).toBe(6)
    expect(deflate({ level: 1 }).level).toBe(1)
    expect(brotli().level).toBe(4)
    expect(lz4().level).toBeUndefined()
  })

  it('a higher level gives smaller output', () => {
    const text = Buffer.from(doc.toString().repeat(4))
    expect(gzip({ level: 9 }).compress(text).length).toBeLessThan(gzip({ level: 1 }).compress(text).length)
    expect(brotli({ level: 9 }).compress(text).length).toBeLessThan(
      brotli({ level: 1 }).compress(text).length,
    )
  })
})

describe('standard formats, readable by other tools', () => {
  it('gzip writes a gzip member, deflate a zlib stream, brotli a brotli stream', () => {
    expect(gunzipSync(gzip().compress(doc)).equals(doc)).toBe(true)
    expect(gzip().compress(doc).subarray(0, 2).toString('hex')).toBe('1f8b')
    expect(inflateSync(deflate().compress(doc)).equals(doc)).toBe(true)
    expect(brotliDecompressSync(brotli().compress(doc)).equals(doc)).toBe(true)
  })
})

describe('lz4 frame: uint32 LE uncompressed length, then one LZ4 block', () => {
  it('writes that layout', () => {
    const packed = lz4().compress(doc)
    expect(packed.readUInt32LE(0)).toBe(doc.length)
    expect(LZ4_HEADER_SIZE).toBe(4)
  })

  it('reads fixed test vectors (python-lz4 lz4.block.compress(store_size=True) writes the first)', () => {
    const vectors: [string, Buffer][] = [
      ['050000005068656c6c6f', Buffer.from('hello')],
      ['3c0000003f61626303002060616263616263', Buffer.from('abc'.repeat(20))],
      ['0000000000', Buffer.alloc(0)],
    ]
    for (const [hex, data] of vectors) {
      expect(lz4().decompress(Buffer.from(hex, 'hex')).equals(data), hex).toBe(true)
    }
  })

  it('checks the declared length before allocating: over the bound, or more than LZ4 can hold', () => {
    const packed = lz4().compress(doc)
    expect(errorOf(() => lz4({ maxDecompressedBytes: doc.length - 1 }).decompress(packed))).toMatchObject({
      code: 'E_DECODE',
      message: expect.stringMatching(/maxDecompressedBytes/),
    })
    const impossible = Buffer.from('ffffff0f5068656c6c6f', 'hex') // declares 256 MiB in 6 bytes
    expect(errorOf(() => lz4({ maxDecompressedBytes: 2 ** 30 }).decompress(impossible))).toMatchObject({
      code: 'E_DECODE',
      message: expect.stringMatching(/more than 10 bytes of LZ4 can hold/),
    })
  })

  it('rejects a length that does not match the block (truncated, or a lying header)', () => {
    const wrong = Buffer.from('060000005068656c6c6f', 'hex') // says 6, holds 5
    expect(errorOf(() => lz4().decompress(wrong))?.code).toBe('E_DECODE')
    expect(errorOf(() => lz4().decompress(Buffer.from('05000000', 'hex')))?.code).toBe('E_DECODE')
  })
})

describe('zstd availability', () => {
  if (zstdAvailable()) {
    it(`uses node:zlib's zstd on this Node (${process.version})`, () => {
      const packed = zstd().compress(doc)
      expect(packed.readUInt32LE(0)).toBe(0xfd2fb528) // zstd frame magic
      expect(zstd().decompress(packed).equals(doc)).toBe(true)
      expect(zstd().level).toBe(3)
      expect(allCompressors()[5]?.decompress(packed).equals(doc)).toBe(true)
    })
  } else {
    it(`zstd() fails with E_CONFIG saying what to do on this Node (${process.version})`, () => {
      expect(errorOf(() => zstd())).toStrictEqual({
        code: 'E_CONFIG',
        message: expect.stringMatching(/Node >= 22\.15\.0 or >= 23\.8\.0.*Upgrade Node, or pick lz4\(\)/),
      })
    })

    it('allCompressors() has a zstd stand-in that explains why it cannot read', () => {
      const stand = allCompressors()[5]
      expect(stand?.name).toBe('zstd')
      expect(errorOf(() => stand?.decompress(Buffer.from([1, 2, 3])))).toMatchObject({
        code: 'E_DECODE',
        message: expect.stringMatching(/written with zstd.*Node >= 22\.15/),
      })
    })
  }

  it('a stand-in throws E_DECODE on read and the original E_CONFIG on write', () => {
    const reason = new Error('no binding here')
    const stand = unavailable('fancy', 77, reason)
    expect(stand.id).toBe(77)
    expect(errorOf(() => stand.decompress(Buffer.from([1])))?.code).toBe('E_DECODE')
    expect(() => stand.compress(Buffer.from([1]))).toThrow(reason)
  })
})

describe('with core: reading picks the algorithm from the frame', () => {
  const value = { rows: JSON.parse(doc.toString()) as unknown, note: 'x'.repeat(2000) }
  const writers = allCompressors().filter((c) => c.name !== 'zstd' || zstdAvailable())

  it('a cache configured with lz4 reads values written with every other compressor', () => {
    const reader = new Envelope({
      serializer: jsonSerializer,
      compressor: lz4(),
      decompressors: allCompressors(),
    })
    for (const compressor of writers) {
      const writer = new Envelope({ serializer: jsonSerializer, compressor, compressThreshold: 0 })
      const stored = writer.encode(value)
      expect(stored[3], compressor.name).toBe(compressor.id)
      expect(reader.decode(stored), compressor.name).toStrictEqual(value)
    }
  })

  it('a decompression bomb in a stored value is E_DECODE for the cache', () => {
    const writer = new Envelope({ serializer: jsonSerializer, compressor: gzip(), compressThreshold: 0 })
    const stored = writer.encode({ blob: 'a'.repeat(4 * 1024 * 1024) })
    const reader = new Envelope({
      serializer: jsonSerializer,
      decompressors: allCompressors({ maxDecompressedBytes: 1024 * 1024 }),
    })
    expect(errorOf(() => reader.decode(stored))).toMatchObject({
      code: 'E_DECODE',
      message: expect.stringMatching(/maxDecompressedBytes/),
    })
  })
})
