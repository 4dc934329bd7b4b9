import { isRediskitError } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import { raw, v8 } from '../src/index.js'

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isRediskitError(error) ? error.code : `not a RediskitError: ${String(error)}`
  }
  return undefined
}

describe('v8()', () => {
  it('round-trips what structured clone knows, also shared references', () => {
    const shared = { s: 1 }
    const value = { a: shared, b: shared, re: /x/g, when: new Date(3), big: 10n ** 30n }
    const out = v8().deserialize(v8().serialize(value) as Buffer) as typeof value
    expect(out).toStrictEqual(value)
    expect(out.a).toBe(out.b)
  })

  it('fails with E_ENCODE on functions and E_DECODE on foreign bytes', () => {
    expect(codeOf(() => v8().serialize({ f: () => 1 }))).toBe('E_ENCODE')
    expect(codeOf(() => v8().deserialize(Buffer.from('{"a":1}')))).toBe('E_DECODE')
  })
})

describe('raw()', () => {
  it('is a raw serializer: the cache stores its bytes with no frame', () => {
    expect(raw().raw).toBe(true)
    expect(raw({ as: 'string' }).raw).toBe(true)
  })

  it('returns the bytes as read, without a copy', () => {
    const data = Buffer.from('abc')
    expect(raw().deserialize(data)).toBe(data)
  })

  it('writes a Uint8Array as a Buffer view on the same memory', () => {
    const bytes = new Uint8Array([1, 2, 3])
    const out = raw().serialize(bytes) as Buffer
    expect(Buffer.isBuffer(out)).toBe(true)
    expect(out.buffer).toBe(bytes.buffer)
    expect([...out]).toStrictEqual([1, 2, 3])
  })

  it('rejects an unknown `as` with E_CONFIG', () => {
    expect(codeOf(() => raw({ as: 'hex' as 'string' }))).toBe('E_CONFIG')
  })
})
