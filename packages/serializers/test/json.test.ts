import { isRediskitError } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import { json } from '../src/index.js'

const rich = json()
const plain = json({ plain: true })

function text(value: unknown, serializer = rich): string {
  const out = serializer.serialize(value)
  return typeof out === 'string' ? out : out.toString('utf8')
}

function decode(source: string, serializer = rich): unknown {
  return serializer.deserialize(Buffer.from(source, 'utf8'))
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isRediskitError(error) ? error.code : `not a RediskitError: ${String(error)}`
  }
  return undefined
}

describe('json(): the stored text', () => {
  it('is plain JSON text for plain data (no tags, no copies needed)', () => {
    expect(text({ a: 1, b: ['x', null, true] })).toBe('{"a":1,"b":["x",null,true]}')
  })

  it('writes each rich type as its documented tag', () => {
    expect(text(new Date('2024-05-01T00:00:00.000Z'))).toBe('{"$rk:D":"2024-05-01T00:00:00.000Z"}')
    expect(text(new Date(Number.NaN))).toBe('{"$rk:D":null}')
    expect(text(Buffer.from('hi'))).toBe('{"$rk:B":"aGk="}')
    expect(text(new Uint16Array([1, 256]))).toBe('{"$rk:T":["Uint16Array","AQAAAQ=="]}')
    expect(text(12345678901234567890n)).toBe('{"$rk:n":"12345678901234567890"}')
    expect(text([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])).toBe(
      '[{"$rk:N":"NaN"},{"$rk:N":"Infinity"},{"$rk:N":"-Infinity"},{"$rk:N":"-0"}]',
    )
    expect(text(undefined)).toBe('{"$rk:u":0}')
    expect(text(new Map([['k', 1]]))).toBe('{"$rk:M":[["k",1]]}')
    expect(text(new Set([1, 2]))).toBe('{"$rk:S":[1,2]}')
  })

  it('escapes user objects that look like tags, and reads them back unchanged', () => {
    const lookalike = { '$rk:D': 'not a date' }
    expect(text(lookalike)).toBe('{"$rk:O":{"$rk:D":"not a date"}}')
    expect(decode(text(lookalike))).toEqual(lookalike)
    const nested = { '$rk:O': { '$rk:O': { '$rk:u': 0 } } }
    expect(decode(text(nested))).toStrictEqual(nested)
    // Two keys are never a tag, so they need no escape.
    expect(text({ '$rk:D': 1, other: 2 })).toBe('{"$rk:D":1,"other":2}')
    expect(decode(text({ '$rk:D': 1, other: 2 }))).toStrictEqual({ '$rk:D': 1, other: 2 })
  })

  it('reads rich values written by another process (hand-written text)', () => {
    const out = decode(
      '{"at":{"$rk:D":"2020-01-02T03:04:05.006Z"},"m":{"$rk:M":[[{"$rk:n":"1"},{"$rk:S":[{"$rk:B":"AA=="}]}]]}}',
    )
    expect(out).toStrictEqual({
      at: new Date('2020-01-02T03:04:05.006Z'),
      m: new Map([[1n, new Set([Buffer.from([0])])]]),
    })
  })

  it('keeps a "__proto__" member as data, never as the prototype', () => {
    const value = JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>
    const inner = {}
    Object.defineProperty(inner, '__proto__', { value: new Date(0), enumerable: true, writable: true })
    value.d = inner
    const out = decode(text(value)) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toStrictEqual({ x: 1 })
    const d = out.d as Record<string, unknown>
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(d, '__proto__')?.value).toStrictEqual(new Date(0))
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('round-trips every typed array', () => {
    const arrays = [
      new Int8Array([-1, 2]),
      new Uint8ClampedArray([255]),
      new Int16Array([-300]),
      new Int32Array([-70000]),
      new Uint32Array([4e9]),
      new Float32Array([1.5]),
      new Float64Array([Math.PI]),
      new BigInt64Array([-5n]),
      new BigUint64Array([2n ** 63n]),
    ]
    expect(decode(text(arrays))).toStrictEqual(arrays)
    // A view at an odd offset of a larger buffer stores only its own bytes.
    const view = new Uint8Array(new ArrayBuffer(10), 3, 4).fill(7)
    expect(decode(text(view))).toStrictEqual(new Uint8Array([7, 7, 7, 7]))
  })

  it('stores class instances like JSON.stringify: through toJSON, else own enumerable members', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return { cents: this.cents, at: new Date(0) }
      }
    }
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(decode(text({ m: new Money(5), p: new Point(1, 2) }))).toStrictEqual({
      m: { cents: 5, at: new Date(0) },
      p: { x: 1, y: 2 },
    })
  })

  it('fails with E_ENCODE on functions and symbols at any depth, on DataViews and on cycles', () => {
    expect(codeOf(() => rich.serialize({ a: [1, { f: () => 1 }] }))).toBe('E_ENCODE')
    expect(codeOf(() => rich.serialize({ s: Symbol('x') }))).toBe('E_ENCODE')
    expect(codeOf(() => rich.serialize(new DataView(new ArrayBuffer(1))))).toBe('E_ENCODE')
    const loop: unknown[] = []
    loop.push({ loop })
    expect(codeOf(() => rich.serialize(loop))).toBe('E_ENCODE')
  })

  it('fails with E_DECODE on malformed and unknown tags', () => {
    for (const source of [
      '{"$rk:X":1}',
      '{"$rk:D":5}',
      '{"$rk:B":null}',
      '{"$rk:n":"1.5"}',
      '{"$rk:n":"12abc"}',
      '{"$rk:N":"zero"}',
      '{"$rk:M":[[1]]}',
      '{"$rk:M":{}}',
      '{"$rk:S":"x"}',
      '{"$rk:T":["Nope","AA=="]}',
      '{"$rk:T":["Uint32Array","AAA="]}',
      '{"$rk:O":[1]}',
      '[{"a":{"$rk:Q":0}}]',
    ]) {
      expect(
        codeOf(() => decode(source)),
        source,
      ).toBe('E_DECODE')
    }
  })

  it('reads standard JSON written by anyone', () => {
    expect(decode('{"a":[1,2,{"b":"c"}],"d":null}')).toStrictEqual({ a: [1, 2, { b: 'c' }], d: null })
  })
})

describe('json({ plain: true })', () => {
  it('is JSON.stringify / JSON.parse and nothing else', () => {
    const value = {
      at: new Date('2024-01-01T00:00:00.000Z'),
      n: Number.NaN,
      skip: undefined,
      list: [undefined],
    }
    expect(text(value, plain)).toBe(JSON.stringify(value))
    expect(decode('{"$rk:D":"2024-01-01T00:00:00.000Z"}', plain)).toStrictEqual({
      '$rk:D': '2024-01-01T00:00:00.000Z',
    })
    expect(plain.name).toBe('json-plain')
  })

  it('fails with E_ENCODE on top-level values JSON cannot hold, BigInt anywhere, and cycles', () => {
    for (const value of [
      undefined,
      () => 1,
      Symbol('s'),
      1n,
      { deep: [1n] },
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      expect(
        codeOf(() => plain.serialize(value)),
        String(value),
      ).toBe('E_ENCODE')
    }
    const loop: Record<string, unknown> = {}
    loop.loop = loop
    expect(codeOf(() => plain.serialize(loop))).toBe('E_ENCODE')
    expect(codeOf(() => plain.serialize({ toJSON: () => undefined }))).toBe('E_ENCODE')
  })

  it('fails with E_DECODE on text that is not JSON', () => {
    expect(codeOf(() => decode('{"a":', plain))).toBe('E_DECODE')
  })
})
