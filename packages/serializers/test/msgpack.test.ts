import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isRediskitError } from '@rediskit/core'
import { Packr, Unpackr, unpack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { MAP_EXTENSION_TYPE, msgpack, NEGATIVE_ZERO_EXTENSION_TYPE } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

function bytesOf(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isRediskitError(error) ? error.code : `not a RediskitError: ${String(error)}`
  }
  return undefined
}

/** Decodes hex-encoded values in a new Node process that has never seen a structure. */
function decodeInFreshProcess(values: Buffer[]): unknown {
  const script = `
    import { Unpackr } from 'msgpackr'
    const hex = JSON.parse(process.argv[1])
    const out = hex.map((h) => new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(Buffer.from(h, 'hex')))
    console.log(JSON.stringify(out))
  `
  const stdout = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(values.map((v) => v.toString('hex')))],
    { cwd: packageDir, encoding: 'utf8' },
  )
  return JSON.parse(stdout)
}

const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `user${i}`, active: i % 2 === 0 }))

describe('msgpack()', () => {
  it('with records: false, writes plain data as standard MessagePack (fixmap, fixstr, fixint)', () => {
    const standard = msgpack({ records: false })
    expect(bytesOf(standard.serialize({ a: 1 })).toString('hex')).toBe('81a16101')
    expect(unpack(bytesOf(standard.serialize({ list: [1, 'two', null, true] })))).toStrictEqual({
      list: [1, 'two', null, true],
    })
  })

  it('writes a Map as extension 0x6d and -0 as extension 0x6e', () => {
    expect(MAP_EXTENSION_TYPE).toBe(0x6d)
    expect(NEGATIVE_ZERO_EXTENSION_TYPE).toBe(0x6e)
    expect(bytesOf(msgpack().serialize(new Map([['a', 1]]))).toString('hex')).toBe('d46d0092a16101')
    expect(bytesOf(msgpack().serialize(-0)).toString('hex')).toBe('d46e00')
  })

  it('does not change how msgpackr encodes Maps for other users in the process', () => {
    msgpack()
    const theirs = new Packr({ useRecords: false })
    expect(theirs.pack(new Map([['a', 1]])).toString('hex')).toBe('81a16101')
  })

  it('writes objects as in-band record structures by default', () => {
    // d4 72 40 = record definition for id 0x40, then the keys, then the values.
    expect(bytesOf(msgpack().serialize({ a: 1 })).toString('hex')).toBe('d4724091a16101')
  })

  it('with records, stores structures in-band: every value decodes alone, in a fresh process', () => {
    const serializer = msgpack()
    // Warm the encoder with many shapes first, then encode values whose shapes it has seen.
    for (let i = 0; i < 100; i++) serializer.serialize({ [`k${i}`]: i, shared: true })
    const values = [
      rows,
      { k5: 5, shared: true },
      [
        { k7: 7, shared: true },
        { id: 1, name: 'x', active: false },
      ],
    ]
    const encoded = values.map((v) => bytesOf(serializer.serialize(v)))
    expect(decodeInFreshProcess(encoded)).toStrictEqual(values)
    // And in this process, each one with a decoder that has seen nothing.
    for (let i = 0; i < values.length; i++) {
      expect(
        new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(encoded[i] as Buffer),
      ).toStrictEqual(values[i])
    }
  })

  it('with records, arrays of same-shaped objects get smaller', () => {
    const maps = bytesOf(msgpack({ records: false }).serialize(rows)).length
    const records = bytesOf(msgpack().serialize(rows)).length
    expect(records).toBeLessThan(maps * 0.8)
  })

  it('reads values written with and without records either way', () => {
    const value = { rows, index: new Map([['a', new Set([1])]]), when: new Date(5) }
    const withRecords = bytesOf(msgpack().serialize(value))
    const without = bytesOf(msgpack({ records: false }).serialize(value))
    expect(msgpack({ records: false }).deserialize(withRecords)).toStrictEqual(value)
    expect(msgpack().deserialize(without)).toStrictEqual(value)
  })

  it('with records, round-trips many distinct shapes in one value and across values', () => {
    const serializer = msgpack()
    const shapes = Array.from({ length: 600 }, (_, i) => ({
      [`key${i}`]: i,
      [`other${i % 7}`]: 'x',
      common: i,
    }))
    expect(serializer.deserialize(bytesOf(serializer.serialize(shapes)))).toStrictEqual(shapes)
    for (const shape of shapes.slice(0, 100)) {
      expect(serializer.deserialize(bytesOf(serializer.serialize(shape)))).toStrictEqual(shape)
    }
  })

  it('does not let one value define record structures for the next', () => {
    const serializer = msgpack()
    serializer.deserialize(bytesOf(msgpack().serialize({ a: 1, b: 'x' })))
    // 0x40 alone is the integer 64 unless a structure from an earlier value leaked in.
    expect(serializer.deserialize(Buffer.from([0x40]))).toBe(64)
  })

  it('round-trips RegExp, Error and integers beyond 2^32 as numbers', () => {
    const serializer = msgpack()
    const out = serializer.deserialize(
      bytesOf(serializer.serialize({ re: /a+b/gi, n: 2 ** 40 + 1, neg: -(2 ** 40), f: 0.1 })),
    ) as Record<string, unknown>
    expect(out.re).toStrictEqual(/a+b/gi)
    expect(out.n).toBe(2 ** 40 + 1)
    expect(out.neg).toBe(-(2 ** 40))
    expect(out.f).toBe(0.1)
    const error = serializer.deserialize(bytesOf(serializer.serialize(new Error('boom'))))
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('boom')
  })

  it('keeps class instances as their own members, and Maps and -0 inside them', () => {
    class Box {
      constructor(readonly inner: Map<string, number>) {}
      readonly zero = -0
    }
    const out = msgpack().deserialize(bytesOf(msgpack().serialize(new Box(new Map([['x', 1]])))))
    expect(out).toStrictEqual({ inner: new Map([['x', 1]]), zero: -0 })
  })

  it('fails with E_ENCODE on functions and symbols at any depth', () => {
    expect(codeOf(() => msgpack().serialize({ a: [{ f: () => 1 }] }))).toBe('E_ENCODE')
    expect(codeOf(() => msgpack().serialize(new Set([Symbol('s')])))).toBe('E_ENCODE')
    expect(codeOf(() => msgpack().serialize(new Map([['k', () => 1]])))).toBe('E_ENCODE')
  })

  it('fails with E_DECODE on a Map extension that does not hold an even-length array', () => {
    expect(codeOf(() => msgpack().deserialize(Buffer.from('d46d0091a161', 'hex')))).toBe('E_DECODE')
    expect(codeOf(() => msgpack().deserialize(Buffer.from('d46d0001', 'hex')))).toBe('E_DECODE')
  })
})
