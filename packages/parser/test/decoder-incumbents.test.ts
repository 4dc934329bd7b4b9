import { describe, expect, it } from 'vitest'
import { Decoder, type RespValue } from '../src/index.js'
import { decode, type Event, nestingDepth, prng, splits } from './support/resp.js'

/**
 * What the Node incumbents get wrong (measured on ioredis 6.0.0, @redis/client 6.3.1 and
 * redis-parser 3.0.0; see the README's table), each pinned down here for this decoder.
 */
const buf = (text: string): Buffer => Buffer.from(text, 'latin1')
const values = (events: Event[]): unknown[] => events.map((event) => ('value' in event ? event.value : event))

function one(input: string): RespValue {
  const events = decode([buf(input)])
  expect(events).toHaveLength(1)
  expect(events[0]?.kind).toBe('reply')
  return (events[0] as { value: RespValue }).value
}

describe('what the incumbents get wrong', () => {
  it('integers near 2^53 are exact (the incumbents return 9007199254740992 for 2^53 + 1)', () => {
    expect(one(':9007199254740993\r\n')).toBe(9007199254740993n)
    expect(one(':9007199254740992\r\n')).toBe(9007199254740992n)
    expect(one(':9007199254740991\r\n')).toBe(9007199254740991)
    expect(one(':-9007199254740993\r\n')).toBe(-9007199254740993n)
    // Every integer from 2^53 - 5 to 2^53 + 5, as number when safe and as exact bigint when not.
    for (let offset = -5n; offset <= 5n; offset++) {
      const exact = 2n ** 53n + offset
      const value = one(`:${exact}\r\n`)
      expect(BigInt(value as number | bigint)).toBe(exact)
      expect(typeof value).toBe(
        Number.isSafeInteger(Number(exact)) && exact < 2n ** 53n ? 'number' : 'bigint',
      )
    }
  })

  it('doubles are correctly rounded (ioredis: 0.3 -> 0.30000000000000004, MAX_VALUE -> Infinity, 5e-324 -> 0, -nan -> -6752)', () => {
    expect(one(',0.3\r\n')).toBe(0.3)
    expect(one(',1.7976931348623157e308\r\n')).toBe(Number.MAX_VALUE)
    expect(one(',5e-324\r\n')).toBe(Number.MIN_VALUE)
    expect(one(',-nan\r\n')).toBeNaN()
    expect(one(',nan\r\n')).toBeNaN()
    expect(one(',inf\r\n')).toBe(Number.POSITIVE_INFINITY)
    expect(one(',-inf\r\n')).toBe(Number.NEGATIVE_INFINITY)
    expect(one(',1.5E+10\r\n')).toBe(1.5e10)
    // Random doubles written as Redis writes them (%.17g) come back bit for bit.
    const random = prng(53)
    const view = new DataView(new ArrayBuffer(8))
    for (let i = 0; i < 2000; i++) {
      view.setUint32(0, Math.floor(random() * 2 ** 32))
      view.setUint32(4, Math.floor(random() * 2 ** 32))
      const value = view.getFloat64(0)
      if (!Number.isFinite(value)) continue
      const text = value.toPrecision(17)
      expect(Object.is(one(`,${text}\r\n`), value), text).toBe(true)
    }
  })

  it('a map key __proto__ is kept (@redis/client 6.3.1 loses it) and touches no prototype', () => {
    const value = one('%2\r\n+__proto__\r\n:1\r\n+constructor\r\n:2\r\n') as Record<string, unknown>
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1)
    expect(value.constructor).toBe(2)
    expect(Object.getPrototypeOf(value)).toBeNull()
    const asMap = decode([buf('%1\r\n+__proto__\r\n:1\r\n')], { maps: 'map' })
    expect((asMap[0] as { value: Map<string, unknown> }).value.get('__proto__')).toBe(1)
  })

  it('attributes are decoded (the incumbents throw or fail on "|")', () => {
    const events = decode([buf('|1\r\n+key-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$3\r\nabc\r\n')])
    expect(events.map((event) => event.kind)).toEqual(['attribute', 'reply'])
    expect(values(events)).toEqual([{ 'key-popularity': ['key:123', 90] }, 'abc'])
  })

  it('streamed strings and aggregates are decoded (the incumbents hang or throw)', () => {
    expect(one('$?\r\n;2\r\nab\r\n;3\r\ncde\r\n;0\r\n')).toBe('abcde')
    expect(one('*?\r\n:1\r\n*?\r\n.\r\n.\r\n')).toEqual([1, []])
    expect(one('%?\r\n+a\r\n:1\r\n.\r\n')).toEqual({ a: 1 })
    expect(one('~?\r\n+a\r\n.\r\n')).toEqual(['a'])
  })

  it('50,000 levels of nesting decode without a stack overflow (the incumbents throw RangeError)', () => {
    const levels = 50_000
    for (const [open, close] of [
      ['*1\r\n', ':1\r\n'],
      ['*?\r\n', `:1\r\n${'.\r\n'.repeat(levels)}`],
    ] as const) {
      const data = buf(open.repeat(levels) + close)
      for (const chunks of [splits.whole(data), splits.random(data, prng(7))]) {
        const replies: RespValue[] = []
        const decoder = new Decoder({ onReply: (reply) => replies.push(reply), maxDepth: 100_000 })
        for (const chunk of chunks) decoder.write(chunk)
        expect(replies).toHaveLength(1)
        expect(nestingDepth(replies[0]!)).toBe(levels)
      }
    }
    // Maps too (keys and values alternate on the same explicit stack).
    const maps = buf(`${'%1\r\n+k\r\n'.repeat(levels)}:1\r\n`)
    let depth = 0
    const decoder = new Decoder({
      onReply: (reply) => {
        for (
          let v: RespValue = reply;
          typeof v === 'object' && v !== null && 'k' in v;
          v = (v as Record<string, RespValue>).k!
        )
          depth++
      },
      maxDepth: 100_000,
    })
    decoder.write(maps)
    expect(depth).toBe(levels)
    // With the default maxDepth the same input is a clean E_PROTOCOL, not a crash.
    expect(decode([maps]).map((event) => event.kind)).toEqual(['protocol'])
  })

  it('Buffers handed out are never written again (redis-parser reuses its shared pool for replies that span chunks)', () => {
    const random = prng(11)
    const expected: Buffer[] = []
    const kept: Buffer[] = []
    const decoder = new Decoder({ onReply: (reply) => kept.push(reply as Buffer), returnBuffers: true })
    const chunks: Buffer[] = []
    for (let i = 0; i < 200; i++) {
      const size = 1 + Math.floor(random() * 5000)
      const payload = Buffer.alloc(size, i % 251)
      expected.push(payload)
      chunks.push(Buffer.concat([buf(`$${size}\r\n`), payload, buf('\r\n')]))
    }
    const stream = Buffer.concat(chunks)
    const inputCopy = Buffer.from(stream)
    for (const chunk of splits.random(stream, random)) decoder.write(chunk)
    // Decode a lot more afterwards: nothing handed out before may change.
    for (let i = 0; i < 50; i++)
      decoder.write(Buffer.concat([buf('$3000\r\n'), Buffer.alloc(3000, 0xee), buf('\r\n')]))
    expect(kept).toHaveLength(250)
    const changed = expected.filter((payload, i) => !payload.equals(kept[i]!)).length
    expect(changed).toBe(0)
    // And the input is never modified.
    expect(stream.equals(inputCopy)).toBe(true)
  })

  it('a payload without its CR LF is a protocol error, not a silent desync (the incumbents skip two bytes blindly)', () => {
    expect(decode([buf('$5\r\nhelloXX+OK\r\n')]).map((event) => event.kind)).toEqual(['protocol'])
  })
})
