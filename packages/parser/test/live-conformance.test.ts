import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplyError, type RespValue } from '../src/index.js'
import { parseDouble } from '../src/numbers.js'
import { RawClient } from './support/raw-client.js'

/**
 * Live conformance: a real redis-server answers `DEBUG PROTOCOL <type>` with every RESP type
 * (enable-debug-command), plus edge values produced by real commands and Lua, in RESP2 and RESP3.
 */
let redis: RedisDeployment
beforeAll(async () => {
  redis = await startRedis({ config: ['enable-debug-command yes'] })
})
afterAll(async () => {
  await redis?.stop()
})

const obj = (entries: [string, RespValue][]): RespValue =>
  Object.assign(Object.create(null) as object, Object.fromEntries(entries)) as RespValue

async function client(protocol: 2 | 3): Promise<RawClient> {
  const raw = await RawClient.connect(redis.primary.port)
  if (protocol === 3) {
    const hello = (await raw.call('HELLO', 3)) as Record<string, RespValue>
    expect(hello.proto).toBe(3)
    expect(hello.server).toBe('redis')
  }
  return raw
}

const TYPES = [
  'string',
  'integer',
  'double',
  'bignum',
  'null',
  'array',
  'set',
  'map',
  'attrib',
  'push',
  'verbatim',
  'true',
  'false',
]

const expected: Record<2 | 3, Record<string, RespValue>> = {
  2: {
    string: 'Hello World',
    integer: 12345,
    double: '3.141',
    bignum: '1234567999999999999999999999999999999',
    null: null,
    array: [0, 1, 2],
    set: [0, 1, 2],
    map: [0, 0, 1, 1, 2, 0],
    attrib: 'Some real reply following the attribute',
    push: new ReplyError('ERR RESP2 is not supported by this command'),
    verbatim: 'This is a verbatim\nstring',
    true: 1,
    false: 0,
  },
  3: {
    string: 'Hello World',
    integer: 12345,
    double: Number('3.141'),
    bignum: 1234567999999999999999999999999999999n,
    null: null,
    array: [0, 1, 2],
    set: [0, 1, 2],
    map: obj([
      ['0', false],
      ['1', true],
      ['2', false],
    ]),
    attrib: 'Some real reply following the attribute',
    push: 'Some real reply following the push reply',
    verbatim: 'This is a verbatim\nstring',
    true: true,
    false: false,
  },
}

describe.each([2, 3] as const)('live conformance, RESP%i', (protocol) => {
  it('DEBUG PROTOCOL <type> for every type, one by one and all pipelined in one write', async () => {
    const raw = await client(protocol)
    try {
      for (const type of TYPES)
        expect(await raw.call('DEBUG', 'PROTOCOL', type), type).toEqual(expected[protocol][type])
      const all = await raw.pipeline(TYPES.map((type) => ['DEBUG', 'PROTOCOL', type]))
      expect(all).toEqual(TYPES.map((type) => expected[protocol][type]))
      if (protocol === 3) {
        expect(raw.attributes).toEqual([
          obj([['key-popularity', ['key:123', 90]]]),
          obj([['key-popularity', ['key:123', 90]]]),
        ])
        expect(raw.pushes).toEqual([
          ['server-cpu-usage', 42],
          ['server-cpu-usage', 42],
        ])
      } else {
        expect(raw.attributes).toEqual([])
        expect(raw.pushes).toEqual([])
      }
    } finally {
      raw.close()
    }
  })

  it('integers around 2^53 and at the int64 limits, from INCRBY', async () => {
    const raw = await client(protocol)
    const key = `conf:${protocol}:n`
    try {
      await raw.call('SET', key, '9007199254740990')
      expect(await raw.call('INCR', key)).toBe(9007199254740991)
      expect(await raw.call('INCR', key)).toBe(9007199254740992n)
      expect(await raw.call('INCR', key)).toBe(9007199254740993n)
      await raw.call('SET', key, '9223372036854775806')
      expect(await raw.call('INCR', key)).toBe(9223372036854775807n)
      expect(await raw.call('INCRBY', key, -1)).toBe(9223372036854775806n)
      await raw.call('SET', key, '-9223372036854775807')
      expect(await raw.call('DECR', key)).toBe(-9223372036854775808n)
      expect(await raw.call('INCR', key)).toBe(-9223372036854775807n)
    } finally {
      raw.close()
    }
  })

  it('doubles from ZSCORE and Lua: 0.3, the largest double, 5e-324, inf, -inf, nan', async () => {
    const raw = await client(protocol)
    const key = `conf:${protocol}:z`
    // RESP2 sends doubles as bulk strings (%.17g, or inf / -inf).
    const asNumber = (value: RespValue): number | undefined =>
      typeof value === 'number' ? value : parseDouble(value as string)
    try {
      await raw.call(
        'ZADD',
        key,
        '0.3',
        'a',
        '1.7976931348623157e308',
        'b',
        '5e-324',
        'c',
        'inf',
        'd',
        '-inf',
        'e',
      )
      expect(asNumber(await raw.call('ZSCORE', key, 'a'))).toBe(0.3)
      expect(asNumber(await raw.call('ZSCORE', key, 'b'))).toBe(Number.MAX_VALUE)
      expect(asNumber(await raw.call('ZSCORE', key, 'c'))).toBe(5e-324)
      expect(asNumber(await raw.call('ZSCORE', key, 'd'))).toBe(Number.POSITIVE_INFINITY)
      expect(asNumber(await raw.call('ZSCORE', key, 'e'))).toBe(Number.NEGATIVE_INFINITY)
      if (protocol === 3) {
        expect(typeof (await raw.call('ZSCORE', key, 'a'))).toBe('number')
        // Lua doubles in RESP3; 0/0 is printed by libc as "-nan" (or "nan").
        const script = 'redis.setresp(3); return {double = tonumber(ARGV[1])}'
        expect(await raw.call('EVAL', script, 0, '0.3')).toBe(0.3)
        expect(await raw.call('EVAL', script, 0, '5e-324')).toBe(5e-324)
        expect(await raw.call('EVAL', 'redis.setresp(3); return {double = 0/0}', 0)).toBeNaN()
        expect(
          await raw.call(
            'EVAL',
            'redis.setresp(3); return {big_number = ARGV[1]}',
            0,
            '-123456789012345678901234567890',
          ),
        ).toBe(-123456789012345678901234567890n)
      }
    } finally {
      raw.close()
    }
  })

  it('a hash with __proto__ and constructor fields (RESP3: a map)', async () => {
    const raw = await client(protocol)
    const key = `conf:${protocol}:h`
    try {
      await raw.call('HSET', key, '__proto__', 'p', 'constructor', 'c')
      const reply = await raw.call('HGETALL', key)
      if (protocol === 2) {
        expect(reply).toEqual(['__proto__', 'p', 'constructor', 'c'])
      } else {
        const map = reply as Record<string, unknown>
        expect(Object.getPrototypeOf(map)).toBeNull()
        expect(Object.keys(map).sort()).toEqual(['__proto__', 'constructor'])
        expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe('p')
      }
    } finally {
      raw.close()
    }
  })

  it('large values and wide replies round-trip exactly (Buffer mode)', async () => {
    const raw = await RawClient.connect(redis.primary.port, { returnBuffers: true })
    try {
      if (protocol === 3) await raw.call('HELLO', 3)
      const big = Buffer.alloc(10 * 1024 * 1024)
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251
      big.write('\r\n$-1\r\n*3\r\n', 1000)
      await raw.call('SET', `conf:${protocol}:big`, big)
      const back = (await raw.call('GET', `conf:${protocol}:big`)) as Buffer
      expect(back.length).toBe(big.length)
      expect(back.equals(big)).toBe(true)
      const keys = Array.from({ length: 1000 }, (_, i) => `conf:${protocol}:k${i}`)
      await raw.call('MSET', ...keys.flatMap((k, i) => [k, `value-${i}-${'x'.repeat(i % 50)}`]))
      const values = (await raw.call('MGET', ...keys)) as Buffer[]
      expect(values.map(String)).toEqual(keys.map((_, i) => `value-${i}-${'x'.repeat(i % 50)}`))
    } finally {
      raw.close()
    }
  })

  it('INFO (a verbatim string in RESP3) and an error reply inside EXEC', async () => {
    const raw = await client(protocol)
    try {
      const info = await raw.call('INFO', 'server')
      expect(String(info)).toMatch(/^# Server\r\nredis_version:/)
      const replies = await raw.pipeline([
        ['MULTI'],
        ['SET', `conf:${protocol}:s`, 'text'],
        ['INCR', `conf:${protocol}:s`],
        ['EXEC'],
      ])
      expect(replies.slice(0, 3)).toEqual(['OK', 'QUEUED', 'QUEUED'])
      expect(replies[3]).toEqual(['OK', new ReplyError('ERR value is not an integer or out of range')])
    } finally {
      raw.close()
    }
  })
})

describe('live push frames (RESP3)', () => {
  it('client-side caching invalidations arrive as push frames, never as replies', async () => {
    const tracked = await client(3)
    const writer = await client(3)
    try {
      expect(await tracked.call('CLIENT', 'TRACKING', 'on')).toBe('OK')
      await tracked.call('GET', 'conf:tracked')
      await writer.call('SET', 'conf:tracked', 'changed')
      // The invalidation is pushed before the reply to the next command on that connection.
      expect(await tracked.call('PING')).toBe('PONG')
      expect(tracked.pushes).toEqual([['invalidate', ['conf:tracked']]])
    } finally {
      tracked.close()
      writer.close()
    }
  })
})
