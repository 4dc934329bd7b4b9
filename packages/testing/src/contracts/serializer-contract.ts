import assert from 'node:assert/strict'
import type { Serializer } from '@rediskit/core'
import { errorInfo, offsetView } from './codec-support.js'
import type { ContractTestApi } from './test-api.js'

/**
 * What a serializer can do beyond the basics, so the contract checks exactly that. Everything
 * not claimed is not tested (a serializer may still support it).
 */
export interface SerializerCapabilities {
  /**
   * JSON's values round-trip: null, booleans, finite numbers, strings (any Unicode), arrays and
   * plain objects, nested, up to 5 MB. Default `true` (`false` when {@link raw} is set).
   */
  json?: boolean
  /** Date, Buffer, Uint8Array, BigInt (also beyond 64 bits), Map and Set round-trip with their types, at any depth. */
  richTypes?: boolean
  /** NaN, Infinity and -Infinity round-trip. */
  nonFiniteNumbers?: boolean
  /** -0 keeps its sign. */
  negativeZero?: boolean
  /** `undefined` round-trips: as the value, in arrays and as an object member. */
  undefined?: boolean
  /** Circular structures round-trip; when `false` (default) serializing one throws (never hangs). */
  circular?: boolean
  /** Truncated output fails to decode (throws). Default `true` (`false` when {@link raw} is set). */
  detectsTruncation?: boolean
  /**
   * A raw serializer (`serializer.raw === true`): strings and Buffers are stored byte for byte,
   * anything else fails with `E_ENCODE`; reads return a `'buffer'` or a `'string'`.
   */
  raw?: 'buffer' | 'string'
  /**
   * Thrown errors are `RediskitError`s with code `E_ENCODE` (serialize) or `E_DECODE`
   * (deserialize), recognised by `name` and `code`. Default `true`; set `false` if yours throws
   * plain errors (the cache wraps those into the same codes).
   */
  rediskitErrors?: boolean
}

type Make = () => unknown

const jsonValues: [string, Make][] = [
  ['null', () => null],
  ['true', () => true],
  ['false', () => false],
  ['zero', () => 0],
  ['an integer', () => 42],
  ['a negative integer', () => -7],
  ['a float', () => 0.1 + 0.2],
  ['MAX_SAFE_INTEGER', () => Number.MAX_SAFE_INTEGER],
  ['the smallest denormal', () => 5e-324],
  ['the largest double', () => Number.MAX_VALUE],
  ['an integer beyond 2^32', () => 2 ** 40 + 1],
  ['the empty string', () => ''],
  ['ASCII text', () => 'hello, world'],
  ['Unicode text', () => 'héllo wörld · 日本語 · עברית · emoji 🎉👩‍👩‍👧 · 𝄞'],
  ['control characters and quotes', () => '\u0000\u0001\u001f\n\r\t"\\\'/'],
  ['line and paragraph separators', () => '\u2028\u2029'],
  ['the empty array', () => []],
  ['the empty object', () => ({})],
  ['a mixed array', () => [1, 'a', null, true, false, 2.5, { x: [] }, [[]]]],
  [
    'a nested document',
    () => ({
      id: 123,
      name: 'Ada',
      tags: ['a', 'b'],
      address: { street: '1 Main St', geo: { lat: 51.5, lng: -0.12 } },
      items: Array.from({ length: 20 }, (_, i) => ({ sku: `SKU-${i}`, qty: i, price: i * 1.25 })),
    }),
  ],
  [
    'objects that look like type tags',
    () => ({
      a: { '$rk:D': '2024-01-01T00:00:00.000Z' },
      b: { '$rk:O': { '$rk:u': 0 } },
      c: { type: 'Buffer', data: [1, 2, 3] },
      d: { $date: '2024-01-01' },
      e: { __type: 'Map', value: [['k', 1]] },
      f: { ':base64:': 'aGk=' },
      g: [':base64:aGk=', ':x', '$rk:D', '"$rk:'],
      h: { $numberLong: '1' },
    }),
  ],
  ['deep nesting (100 levels)', () => nest(100)],
  [
    'keys that are numbers and symbols-like',
    () => ({ '1': 1, '0x10': 2, '': 3, constructor: 4, toString: 5 }),
  ],
]

const richValues: [string, Make][] = [
  ['a Date', () => new Date('2024-05-01T12:34:56.789Z')],
  ['a Date before 1970', () => new Date(-1e12)],
  ['a Buffer', () => Buffer.from([0, 1, 2, 127, 128, 255])],
  ['an empty Buffer', () => Buffer.alloc(0)],
  ['a Uint8Array', () => new Uint8Array([1, 2, 3, 250])],
  ['a BigInt', () => 123n],
  ['a negative BigInt beyond 2^53', () => -9007199254740993n],
  ['a BigInt beyond 64 bits', () => 2n ** 100n + 1n],
  ['a negative BigInt beyond 64 bits', () => -(2n ** 70n)],
  [
    'a Map',
    () =>
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
  ],
  ['an empty Map', () => new Map()],
  ['an empty Set', () => new Set()],
  [
    'a Map with object keys and rich values',
    () =>
      new Map<unknown, unknown>([
        [{ k: 1 }, [1, 2]],
        [null, new Date(0)],
        ['bytes', Buffer.from('hi')],
      ]),
  ],
  ['a Set', () => new Set<unknown>([1, 'two', null, 3n])],
  [
    'rich types nested in objects and arrays',
    () => ({
      when: new Date(0),
      ids: new Set([1n, 2n]),
      index: new Map<unknown, unknown>([['x', { bytes: Buffer.from('hi'), at: new Date(1) }]]),
      list: [new Map(), new Set([new Date(2)]), { deeper: [new Map([[1, new Set([2])]])] }],
      plain: { a: 1 },
    }),
  ],
  ['a Map that looks like a plain object', () => new Map([['a', 1]])],
  ['a plain object next to a Map with the same entries', () => [{ a: 1 }, new Map([['a', 1]])]],
]

/** A deterministic pseudo-random byte source (xorshift), so failures reproduce. */
function bytes(length: number, seed: number): Buffer {
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

function nest(depth: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { level: i, value }
  return value
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

/** `data` copied into a larger buffer at an odd offset: what a slice of a network read looks like. */
/**
 * The serializer contract: every rediskit serializer (and yours) passes it.
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { serializerContract } from '@rediskit/testing'
 * serializerContract(vitest, () => mySerializer(), { richTypes: true })
 * ```
 *
 * @param test `describe` and `it` of your test framework (vitest, jest, mocha, node:test).
 * @param factory creates the serializer under test (called once per test).
 * @param capabilities what to check beyond the basics.
 */
export function serializerContract(
  test: Pick<ContractTestApi, 'describe' | 'it'>,
  factory: () => Serializer,
  capabilities: SerializerCapabilities = {},
): void {
  const { describe, it } = test
  const isRaw = capabilities.raw !== undefined
  const json = capabilities.json ?? !isRaw
  const detectsTruncation = capabilities.detectsTruncation ?? !isRaw
  const strictErrors = capabilities.rediskitErrors ?? true
  const label = (() => {
    try {
      return factory().name
    } catch {
      return 'serializer'
    }
  })()

  function roundTrip(serializer: Serializer, value: unknown): unknown {
    const data = serializer.serialize(value)
    assert.ok(
      typeof data === 'string' || Buffer.isBuffer(data),
      `serialize() must return a Buffer or a string, got ${Object.prototype.toString.call(data)}`,
    )
    return serializer.deserialize(toBuffer(data))
  }

  function assertRoundTrip(make: Make): void {
    const serializer = factory()
    const value = make()
    const out = roundTrip(serializer, value)
    assert.deepStrictEqual(out, make())
    assert.deepStrictEqual(value, make(), 'serialize() must not modify its input')
  }

  function expectThrows(run: () => unknown, code: 'E_ENCODE' | 'E_DECODE', what: string): void {
    let threw = false
    try {
      run()
    } catch (error) {
      threw = true
      assertErrorCode(error, code, what)
    }
    assert.ok(threw, `${what}: expected an error, nothing was thrown`)
  }

  function assertErrorCode(error: unknown, code: 'E_ENCODE' | 'E_DECODE', what: string): void {
    if (!strictErrors) {
      assert.ok(error instanceof Error || typeof error === 'object', `${what}: threw a non-object`)
      return
    }
    const info = errorInfo(error)
    assert.equal(info.name, 'RediskitError', `${what}: expected a RediskitError, got ${String(error)}`)
    assert.equal(info.code, code, `${what}: expected code ${code}, got ${String(info.code)}`)
  }

  describe(`serializer contract: ${label}`, () => {
    it('has a non-empty name and the two methods', async () => {
      const serializer = factory()
      assert.equal(typeof serializer.name, 'string')
      assert.ok(serializer.name.length > 0, 'name must not be empty')
      assert.equal(typeof serializer.serialize, 'function')
      assert.equal(typeof serializer.deserialize, 'function')
      assert.equal(
        serializer.raw === true,
        isRaw,
        isRaw ? 'a raw serializer has raw: true' : 'raw must not be true',
      )
    })

    if (json) {
      describe('JSON values round-trip', () => {
        for (const [name, make] of jsonValues) {
          it(name, async () => assertRoundTrip(make))
        }
      })

      it('round-trips a 5 MB value', async () => {
        assertRoundTrip(() => ({ blob: 'x'.repeat(5 * 1024 * 1024 - 64), n: 1 }))
      })

      it('round-trips a large array of records', async () => {
        assertRoundTrip(() =>
          Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `user${i}`, ok: i % 2 === 0 })),
        )
      })

      it('reads its output from a view at an odd offset of a larger buffer', async () => {
        const serializer = factory()
        const value = { a: [1, 2, 3], s: 'view', nested: { ok: true } }
        const data = toBuffer(serializer.serialize(value))
        assert.deepStrictEqual(serializer.deserialize(offsetView(data, 7)), value)
      })

      it('keeps earlier outputs valid after later calls (no shared output buffer)', async () => {
        const serializer = factory()
        const values = [
          { first: 'a'.repeat(100) },
          { second: [1, 2, 3] },
          'third',
          { fourth: { x: 'y'.repeat(5000) } },
        ]
        const outputs = values.map((v) => toBuffer(serializer.serialize(v)))
        const copies = outputs.map((o) => Buffer.from(o))
        for (let i = 0; i < values.length; i++) {
          assert.ok(
            outputs[i]?.equals(copies[i] as Buffer),
            `output ${i} changed after later serialize() calls`,
          )
          assert.deepStrictEqual(serializer.deserialize(outputs[i] as Buffer), values[i])
        }
      })

      it('is deterministic for the same input', async () => {
        const serializer = factory()
        const value = { b: 1, a: [1, 'x', { c: null }] }
        const one = toBuffer(serializer.serialize(value))
        const two = toBuffer(serializer.serialize(value))
        assert.ok(one.equals(two), 'two serializations of one value differ')
      })

      it('does not pollute prototypes from a "__proto__" key', async () => {
        const serializer = factory()
        const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>
        const out = roundTrip(serializer, value) as Record<string, unknown>
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted')
        assert.equal(
          Object.getPrototypeOf(out),
          Object.prototype,
          'the decoded object has a different prototype',
        )
        assert.equal(out.polluted, undefined, 'the decoded object inherited the "__proto__" member')
        assert.equal(out.a, 1)
      })

      it('fails on a top-level function or symbol with E_ENCODE', async () => {
        const serializer = factory()
        expectThrows(() => serializer.serialize(() => 1), 'E_ENCODE', 'serialize(function)')
        expectThrows(() => serializer.serialize(Symbol('s')), 'E_ENCODE', 'serialize(symbol)')
      })

      it('keeps working after an encode failure', async () => {
        const serializer = factory()
        try {
          serializer.serialize(() => 1)
        } catch {
          // expected
        }
        assert.deepStrictEqual(roundTrip(serializer, { after: 'failure' }), { after: 'failure' })
      })
    }

    if (capabilities.richTypes === true) {
      describe('rich types round-trip', () => {
        for (const [name, make] of richValues) {
          it(name, async () => assertRoundTrip(make))
        }
        it('an invalid Date', async () => {
          const out = roundTrip(factory(), new Date(Number.NaN))
          assert.ok(out instanceof Date, 'an invalid Date must come back as a Date')
          assert.ok(Number.isNaN(out.getTime()), 'an invalid Date must stay invalid')
        })
        it('a Buffer comes back as a Buffer, a Uint8Array as a Uint8Array', async () => {
          const out = roundTrip(factory(), { b: Buffer.from('b'), u: new Uint8Array([1]) }) as {
            b: unknown
            u: unknown
          }
          assert.ok(Buffer.isBuffer(out.b), 'Buffer expected')
          assert.ok(out.u instanceof Uint8Array, 'Uint8Array expected')
        })
        it('a decoded Buffer does not alias the stored bytes', async () => {
          const serializer = factory()
          const data = toBuffer(serializer.serialize({ b: Buffer.from('abc') }))
          const out = serializer.deserialize(data) as { b: Buffer }
          out.b.fill(0x7a)
          assert.deepStrictEqual(serializer.deserialize(data), { b: Buffer.from('abc') })
        })
      })
    }

    if (capabilities.nonFiniteNumbers === true) {
      it('round-trips NaN, Infinity and -Infinity', async () => {
        for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          assertRoundTrip(() => value)
          assertRoundTrip(() => ({ v: value, list: [value, 1] }))
        }
      })
    }

    if (capabilities.negativeZero === true) {
      it('keeps the sign of -0', async () => {
        const serializer = factory()
        assert.ok(Object.is(roundTrip(serializer, -0), -0), '-0 at the top level lost its sign')
        const out = roundTrip(serializer, { z: -0, list: [-0, 0] }) as { z: number; list: number[] }
        assert.ok(Object.is(out.z, -0), '-0 as a member lost its sign')
        assert.ok(Object.is(out.list[0], -0) && Object.is(out.list[1], 0), '-0 in an array lost its sign')
      })
    }

    if (capabilities.undefined === true) {
      it('round-trips undefined', async () => {
        assertRoundTrip(() => undefined)
        assertRoundTrip(() => ({ a: undefined, b: 1 }))
        assertRoundTrip(() => [undefined, 1, undefined])
      })
    }

    if (!isRaw) {
      it(
        capabilities.circular === true ? 'round-trips circular structures' : 'rejects circular structures',
        async () => {
          const serializer = factory()
          const value: Record<string, unknown> = { name: 'loop' }
          value.self = value
          value.list = [value]
          if (capabilities.circular === true) {
            const out = roundTrip(serializer, value) as Record<string, unknown>
            assert.equal(out.self, out)
            assert.equal((out.list as unknown[])[0], out)
          } else {
            expectThrows(() => serializer.serialize(value), 'E_ENCODE', 'serialize(circular)')
          }
        },
      )
    }

    if (isRaw) {
      describe('raw: stores strings and bytes as they are', () => {
        it('writes a string as its UTF-8 bytes', async () => {
          const text = 'héllo 🎉'
          assert.ok(toBuffer(factory().serialize(text)).equals(Buffer.from(text, 'utf8')))
        })
        it('writes a Buffer byte for byte', async () => {
          const data = bytes(300, 7)
          assert.ok(toBuffer(factory().serialize(data)).equals(data))
        })
        it(`reads bytes back as a ${capabilities.raw}`, async () => {
          const data = Buffer.from('héllo 🎉', 'utf8')
          const out = factory().deserialize(data)
          if (capabilities.raw === 'string') assert.equal(out, 'héllo 🎉')
          else {
            assert.ok(Buffer.isBuffer(out), 'a Buffer expected')
            assert.ok(out.equals(data))
          }
        })
        it('reads any bytes, also empty and invalid UTF-8', async () => {
          const serializer = factory()
          for (const data of [Buffer.alloc(0), Buffer.from([0xff, 0xfe, 0x00]), bytes(1000, 3)]) {
            const out = serializer.deserialize(data)
            if (capabilities.raw === 'string') assert.equal(out, data.toString('utf8'))
            else assert.ok(Buffer.isBuffer(out) && out.equals(data))
          }
        })
        it('fails on anything else with E_ENCODE', async () => {
          const serializer = factory()
          for (const value of [42, 1.5, true, null, undefined, {}, [], new Date(0), 1n, () => 1]) {
            expectThrows(() => serializer.serialize(value), 'E_ENCODE', `serialize(${String(value)})`)
          }
        })
      })
    }

    describe('bad input', () => {
      const garbage: [string, Buffer][] = [
        ['empty input', Buffer.alloc(0)],
        ['one zero byte', Buffer.from([0])],
        ['0xc1 bytes', Buffer.from([0xc1, 0xc1, 0xc1])],
        ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xfd])],
        ['text', Buffer.from('definitely not a serialized value {', 'utf8')],
        ['random bytes', bytes(64, 42)],
        ['more random bytes', bytes(4096, 1234)],
      ]
      for (const [name, data] of garbage) {
        it(`returns a value or throws E_DECODE for ${name}`, async () => {
          const serializer = factory()
          try {
            serializer.deserialize(data)
          } catch (error) {
            assertErrorCode(error, 'E_DECODE', `deserialize(${name})`)
          }
        })
      }

      if (detectsTruncation) {
        it('throws E_DECODE for truncated output', async () => {
          const serializer = factory()
          const data = toBuffer(
            serializer.serialize({ list: Array.from({ length: 50 }, (_, i) => `item ${i}`) }),
          )
          for (const cut of [1, Math.floor(data.length / 2), data.length - 1]) {
            expectThrows(
              () => serializer.deserialize(data.subarray(0, cut)),
              'E_DECODE',
              `truncated to ${cut} bytes`,
            )
          }
        })
      }

      it('keeps working after a decode failure', async () => {
        const serializer = factory()
        for (const [, data] of garbage) {
          try {
            serializer.deserialize(data)
          } catch {
            // expected for most of them
          }
        }
        const value = isRaw ? 'after failure' : { after: ['failure'] }
        const out = roundTrip(serializer, value)
        if (capabilities.raw === 'buffer') assert.ok(Buffer.isBuffer(out) && out.toString() === value)
        else assert.deepStrictEqual(out, value)
      })
    })
  })
}
