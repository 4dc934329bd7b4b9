import assert from 'node:assert/strict'
import type { Compressor } from '@rediskit/core'
import { errorInfo, offsetView } from './codec-support.js'
import type { ContractTestApi } from './test-api.js'

/** Options the contract passes to the factory. */
export interface CompressorFactoryOptions {
  /** The largest output `decompress` may produce; more is `E_DECODE`. */
  maxDecompressedBytes?: number
}

/** Creates the compressor under test; `options` come from the contract (bound tests). */
export type CompressorFactory = (options: CompressorFactoryOptions) => Compressor

/** What a compressor does beyond the basics, so the contract checks exactly that. */
export interface CompressorCapabilities {
  /** Repetitive data gets much smaller. Default: `true` unless the id is 0 (no compression). */
  compresses?: boolean
  /** Truncated compressed data fails to decompress. Default: `true` unless the id is 0. */
  detectsTruncation?: boolean
  /**
   * The factory honours `maxDecompressedBytes`: the compressor reports it and `decompress`
   * throws `E_DECODE` rather than produce more (decompression bombs). Default `true`.
   */
  bounded?: boolean
  /**
   * Thrown errors are `RediskitError`s with code `E_DECODE`, recognised by `name` and `code`.
   * Default `true`; set `false` if yours throws plain errors (the cache wraps them).
   */
  rediskitErrors?: boolean
}

const MiB = 1024 * 1024

/** A deterministic pseudo-random byte source (xorshift), so failures reproduce. */
function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  let x = seed | 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** JSON-like text with the repetition of real cached documents. */
function repetitive(length: number): Buffer {
  const parts: string[] = []
  let size = 0
  for (let i = 0; size < length; i++) {
    const row = `{"id":${i},"name":"user${i}","email":"user${i}@example.com","active":${i % 3 !== 0},"role":"member"},`
    parts.push(row)
    size += row.length
  }
  return Buffer.from(parts.join('').slice(0, length), 'utf8')
}

/**
 * The compressor contract: every rediskit compressor (and yours) passes it.
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { compressorContract } from '@rediskit/testing'
 * compressorContract(vitest, (options) => myCompressor(options))
 * ```
 *
 * @param test `describe` and `it` of your test framework (vitest, jest, mocha, node:test).
 * @param factory creates the compressor under test; receives `{ maxDecompressedBytes }` in the
 *   bound tests and `{}` elsewhere.
 * @param capabilities what to check beyond the basics.
 */
export function compressorContract(
  test: Pick<ContractTestApi, 'describe' | 'it'>,
  factory: CompressorFactory,
  capabilities: CompressorCapabilities = {},
): void {
  const { describe, it } = test
  const probe = (() => {
    try {
      return factory({})
    } catch {
      return undefined
    }
  })()
  const label = probe === undefined ? 'compressor' : `${probe.name} (id ${probe.id})`
  const identity = probe?.id === 0
  const compresses = capabilities.compresses ?? !identity
  const detectsTruncation = capabilities.detectsTruncation ?? !identity
  const bounded = capabilities.bounded ?? true
  const strictErrors = capabilities.rediskitErrors ?? true

  function roundTrip(compressor: Compressor, data: Buffer): void {
    const before = Buffer.from(data)
    const packed = compressor.compress(data)
    assert.ok(Buffer.isBuffer(packed), 'compress() must return a Buffer')
    assert.ok(data.equals(before), 'compress() must not modify its input')
    const packedCopy = Buffer.from(packed)
    const out = compressor.decompress(packed)
    assert.ok(Buffer.isBuffer(out), 'decompress() must return a Buffer')
    assert.ok(packed.equals(packedCopy), 'decompress() must not modify its input')
    assert.equal(out.length, data.length, 'decompressed length differs')
    assert.ok(out.equals(data), 'decompressed bytes differ')
  }

  function assertDecodeError(error: unknown, what: string): void {
    if (!strictErrors) return
    const info = errorInfo(error)
    assert.equal(info.name, 'RediskitError', `${what}: expected a RediskitError, got ${String(error)}`)
    assert.equal(info.code, 'E_DECODE', `${what}: expected code E_DECODE, got ${String(info.code)}`)
  }

  function expectDecodeError(run: () => unknown, what: string): void {
    let threw = false
    try {
      run()
    } catch (error) {
      threw = true
      assertDecodeError(error, what)
    }
    assert.ok(threw, `${what}: expected E_DECODE, nothing was thrown`)
  }

  describe(`compressor contract: ${label}`, () => {
    it('has a name, an id in 0..255 and the two methods', async () => {
      const compressor = factory({})
      assert.equal(typeof compressor.name, 'string')
      assert.ok(compressor.name.length > 0, 'name must not be empty')
      assert.ok(Number.isInteger(compressor.id), 'id must be an integer')
      assert.ok(compressor.id >= 0 && compressor.id <= 255, 'id must be in 0..255')
      assert.equal(typeof compressor.compress, 'function')
      assert.equal(typeof compressor.decompress, 'function')
    })

    it('keeps its id across instances (the id is stored with every value)', async () => {
      assert.equal(factory({}).id, factory({}).id)
      assert.equal(factory({}).name, factory({}).name)
    })

    describe('round trips', () => {
      const cases: [string, () => Buffer][] = [
        ['empty input', () => Buffer.alloc(0)],
        ['one byte', () => Buffer.from([0x42])],
        ['a short string', () => Buffer.from('hello, world', 'utf8')],
        ['every byte value', () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
        ['Unicode text', () => Buffer.from('héllo wörld · 日本語 · 🎉👩‍👩‍👧 '.repeat(200), 'utf8')],
        ['64 KiB of random (incompressible) bytes', () => randomBytes(64 * 1024, 99)],
        ['1 MiB of repetitive JSON', () => repetitive(MiB)],
        ['5 MiB of repetitive JSON', () => repetitive(5 * MiB)],
        ['1 MiB of zeros', () => Buffer.alloc(MiB)],
      ]
      for (const [name, make] of cases) {
        it(name, async () => roundTrip(factory({}), make()))
      }
      it('input that is a view at an odd offset of a larger buffer', async () => {
        const compressor = factory({})
        const data = repetitive(10_000)
        const packed = compressor.compress(offsetView(data, 5))
        assert.ok(compressor.decompress(offsetView(packed, 5)).equals(data))
      })
    })

    it('keeps earlier outputs valid after later calls (no shared output buffer)', async () => {
      const compressor = factory({})
      const inputs = [repetitive(5000), randomBytes(3000, 5), repetitive(70_000), Buffer.from('tail')]
      const packed = inputs.map((d) => compressor.compress(d))
      const copies = packed.map((p) => Buffer.from(p))
      const outputs = packed.map((p) => compressor.decompress(p))
      for (let i = 0; i < inputs.length; i++) {
        assert.ok(packed[i]?.equals(copies[i] as Buffer), `compressed output ${i} changed after later calls`)
        assert.ok(
          outputs[i]?.equals(inputs[i] as Buffer),
          `decompressed output ${i} changed after later calls`,
        )
      }
    })

    if (compresses) {
      it('makes repetitive data much smaller', async () => {
        const data = repetitive(MiB)
        const packed = factory({}).compress(data)
        assert.ok(
          packed.length < data.length / 2,
          `1 MiB of repetitive JSON compressed to ${packed.length} bytes`,
        )
      })
    }

    if (bounded) {
      describe('maxDecompressedBytes', () => {
        const limit = MiB
        it('reports the bound it was created with', async () => {
          assert.equal(factory({ maxDecompressedBytes: limit }).maxDecompressedBytes, limit)
        })
        it('decompresses output of exactly the bound', async () => {
          const data = repetitive(limit)
          const packed = factory({}).compress(data)
          assert.ok(factory({ maxDecompressedBytes: limit }).decompress(packed).equals(data))
        })
        it('throws E_DECODE for one byte more than the bound', async () => {
          const packed = factory({}).compress(repetitive(limit + 1))
          const limited = factory({ maxDecompressedBytes: limit })
          expectDecodeError(() => limited.decompress(packed), 'decompress(bound + 1 bytes)')
        })
        it('throws E_DECODE for a decompression bomb (16 MiB of zeros)', async () => {
          const bomb = factory({ maxDecompressedBytes: 64 * MiB }).compress(Buffer.alloc(16 * MiB))
          const limited = factory({ maxDecompressedBytes: limit })
          expectDecodeError(() => limited.decompress(bomb), 'decompress(bomb)')
        })
      })
    }

    describe('bad input', () => {
      const garbage: [string, Buffer][] = [
        ['empty input', Buffer.alloc(0)],
        ['one zero byte', Buffer.from([0])],
        ['0xff bytes', Buffer.alloc(16, 0xff)],
        ['text', Buffer.from('definitely not compressed data', 'utf8')],
        ['random bytes', randomBytes(100, 7)],
        ['more random bytes', randomBytes(10_000, 8)],
      ]
      for (const [name, data] of garbage) {
        it(`returns a Buffer or throws E_DECODE for ${name}`, async () => {
          const compressor = factory({})
          let out: unknown
          try {
            out = compressor.decompress(data)
          } catch (error) {
            assertDecodeError(error, `decompress(${name})`)
            return
          }
          assert.ok(Buffer.isBuffer(out), 'decompress() must return a Buffer')
        })
      }

      it('returns a Buffer or throws E_DECODE for corrupted output (flipped bytes)', async () => {
        const compressor = factory({})
        const packed = compressor.compress(repetitive(20_000))
        for (let i = 0; i < 40; i++) {
          const bad = Buffer.from(packed)
          const at = (i * 7919) % bad.length
          bad[at] = (bad[at] as number) ^ (1 << (i % 8))
          try {
            const out = compressor.decompress(bad)
            assert.ok(Buffer.isBuffer(out), 'decompress() must return a Buffer')
          } catch (error) {
            assertDecodeError(error, `decompress(flipped byte ${at})`)
          }
        }
      })

      if (detectsTruncation) {
        it('throws E_DECODE for truncated output', async () => {
          const compressor = factory({})
          const packed = compressor.compress(Buffer.concat([repetitive(50_000), randomBytes(2000, 3)]))
          for (const cut of [0, 1, Math.floor(packed.length / 2), packed.length - 1]) {
            expectDecodeError(
              () => compressor.decompress(packed.subarray(0, cut)),
              `truncated to ${cut} bytes`,
            )
          }
        })
      }

      it('keeps working after a decode failure', async () => {
        const compressor = factory({})
        for (const [, data] of garbage) {
          try {
            compressor.decompress(data)
          } catch {
            // expected for most of them
          }
        }
        roundTrip(compressor, repetitive(3000))
      })
    })
  })
}
