import assert from 'node:assert/strict'
import { describe, expect, it } from 'vitest'
import { type DecoderOptions, ReplyError, type RespValue } from '../src/index.js'
import { decode, type Event, recorder, splits } from './support/resp.js'

interface Fixture {
  name: string
  input: string | Buffer
  options?: Partial<DecoderOptions>
  events: Event[]
}

const reply = (value: RespValue): Event => ({ kind: 'reply', value })
const error = (message: string): Event => ({ kind: 'error', value: new ReplyError(message) })
const push = (value: RespValue[]): Event => ({ kind: 'push', value })
const attribute = (value: RespValue): Event => ({ kind: 'attribute', value })
const buf = (text: string): Buffer => Buffer.from(text, 'utf8')
/** A null-prototype object, as RESP3 maps decode. */
const map = (entries: [string, RespValue][]): RespValue => {
  const out = Object.create(null) as Record<string, RespValue>
  for (const [key, value] of entries) out[key] = value
  return out
}

const fixtures: Fixture[] = [
  // RESP2
  { name: 'simple string', input: '+OK\r\n', events: [reply('OK')] },
  { name: 'empty simple string', input: '+\r\n', events: [reply('')] },
  { name: 'simple string with UTF-8', input: '+héllo wörld €😀\r\n', events: [reply('héllo wörld €😀')] },
  { name: 'simple error', input: '-ERR unknown command\r\n', events: [error('ERR unknown command')] },
  {
    name: 'WRONGTYPE error',
    input: '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    events: [error('WRONGTYPE Operation against a key holding the wrong kind of value')],
  },
  { name: 'integer 0', input: ':0\r\n', events: [reply(0)] },
  { name: 'negative integer', input: ':-42\r\n', events: [reply(-42)] },
  { name: 'integer with +', input: ':+7\r\n', events: [reply(7)] },
  { name: '2^53 - 1 stays a number', input: ':9007199254740991\r\n', events: [reply(9007199254740991)] },
  { name: '-(2^53 - 1) stays a number', input: ':-9007199254740991\r\n', events: [reply(-9007199254740991)] },
  { name: '2^53 is a bigint', input: ':9007199254740992\r\n', events: [reply(9007199254740992n)] },
  { name: '2^53 + 1 exact', input: ':9007199254740993\r\n', events: [reply(9007199254740993n)] },
  { name: '-(2^53 + 1) exact', input: ':-9007199254740993\r\n', events: [reply(-9007199254740993n)] },
  { name: 'int64 max', input: ':9223372036854775807\r\n', events: [reply(9223372036854775807n)] },
  { name: 'int64 min', input: ':-9223372036854775808\r\n', events: [reply(-9223372036854775808n)] },
  {
    name: 'big integers as strings',
    input: ':9007199254740993\r\n:12\r\n',
    options: { bigNumbers: 'string' },
    events: [reply('9007199254740993'), reply(12)],
  },
  {
    name: 'stringNumbers',
    input: ':9007199254740993\r\n:-12\r\n:+3\r\n',
    options: { stringNumbers: true },
    events: [reply('9007199254740993'), reply('-12'), reply('3')],
  },
  { name: 'bulk string', input: '$5\r\nhello\r\n', events: [reply('hello')] },
  { name: 'empty bulk string', input: '$0\r\n\r\n', events: [reply('')] },
  { name: 'null bulk string', input: '$-1\r\n', events: [reply(null)] },
  { name: 'bulk string holding CR LF', input: '$6\r\na\r\nb\r\n\r\n', events: [reply('a\r\nb\r\n')] },
  { name: 'bulk string in UTF-8', input: `$${buf('é€😀').length}\r\né€😀\r\n`, events: [reply('é€😀')] },
  {
    name: 'binary bulk string as Buffer',
    input: Buffer.concat([buf('$4\r\n'), Buffer.from([0, 0xff, 0x0d, 0x0a]), buf('\r\n')]),
    options: { returnBuffers: true },
    events: [reply(Buffer.from([0, 0xff, 0x0d, 0x0a]))],
  },
  {
    name: "returnBuffers: 'bulk' keeps status replies as strings",
    input: '+OK\r\n$3\r\nabc\r\n=7\r\ntxt:abc\r\n',
    options: { returnBuffers: 'bulk' },
    events: [reply('OK'), reply(buf('abc')), reply(buf('abc'))],
  },
  {
    name: 'returnBuffers: true makes status replies Buffers too',
    input: '+OK\r\n',
    options: { returnBuffers: true },
    events: [reply(buf('OK'))],
  },
  { name: 'array', input: '*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n', events: [reply([1, 'foo', 'bar'])] },
  { name: 'empty array', input: '*0\r\n', events: [reply([])] },
  { name: 'null array', input: '*-1\r\n', events: [reply(null)] },
  {
    name: 'array with a null element',
    input: '*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n',
    events: [reply(['a', null, 'c'])],
  },
  {
    name: 'nested arrays',
    input: '*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n',
    events: [
      reply([
        [1, 2, 3],
        ['Hello', new ReplyError('World')],
      ]),
    ],
  },
  {
    name: 'EXEC result: an error stays in place',
    input: '*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n',
    events: [reply(['OK', new ReplyError('ERR value is not an integer or out of range')])],
  },
  {
    name: 'a pipeline of replies',
    input: '+OK\r\n:1\r\n$1\r\nx\r\n-ERR no\r\n*1\r\n:2\r\n',
    events: [reply('OK'), reply(1), reply('x'), error('ERR no'), reply([2])],
  },
  // RESP3
  { name: 'null', input: '_\r\n', events: [reply(null)] },
  { name: 'true', input: '#t\r\n', events: [reply(true)] },
  { name: 'false', input: '#f\r\n', events: [reply(false)] },
  { name: 'double', input: ',1.23\r\n', events: [reply(1.23)] },
  { name: 'double 0.3 exactly', input: ',0.3\r\n', events: [reply(0.3)] },
  { name: 'double integral', input: ',10\r\n', events: [reply(10)] },
  { name: 'largest double', input: ',1.7976931348623157e308\r\n', events: [reply(Number.MAX_VALUE)] },
  { name: 'smallest subnormal', input: ',5e-324\r\n', events: [reply(5e-324)] },
  { name: 'subnormal as %.17g', input: ',4.9406564584124654e-324\r\n', events: [reply(5e-324)] },
  { name: 'E notation', input: ',1.5E+10\r\n,-2e-3\r\n', events: [reply(1.5e10), reply(-0.002)] },
  { name: 'inf', input: ',inf\r\n', events: [reply(Number.POSITIVE_INFINITY)] },
  { name: '-inf', input: ',-inf\r\n', events: [reply(Number.NEGATIVE_INFINITY)] },
  { name: 'nan', input: ',nan\r\n', events: [reply(Number.NaN)] },
  { name: '-nan', input: ',-nan\r\n', events: [reply(Number.NaN)] },
  {
    name: 'big number',
    input: '(3492890328409238509324850943850943825024385\r\n',
    events: [reply(3492890328409238509324850943850943825024385n)],
  },
  {
    name: 'negative big number',
    input: '(-12345678901234567890\r\n',
    events: [reply(-12345678901234567890n)],
  },
  {
    name: 'big number as string',
    input: '(3492890328409238509324850943850943825024385\r\n',
    options: { bigNumbers: 'string' },
    events: [reply('3492890328409238509324850943850943825024385')],
  },
  { name: 'blob error', input: '!21\r\nSYNTAX invalid syntax\r\n', events: [error('SYNTAX invalid syntax')] },
  { name: 'verbatim string', input: '=15\r\ntxt:Some string\r\n', events: [reply('Some string')] },
  { name: 'empty verbatim string', input: '=4\r\nmkd:\r\n', events: [reply('')] },
  {
    name: 'map',
    input: '%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n',
    events: [
      reply(
        map([
          ['first', 1],
          ['second', 2],
        ]),
      ),
    ],
  },
  {
    name: 'map with non-string keys',
    input: '%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n$1\r\nx\r\n_\r\n',
    events: [
      reply(
        map([
          ['0', false],
          ['1', true],
          ['x', null],
        ]),
      ),
    ],
  },
  {
    name: "maps: 'map'",
    input: '%2\r\n:0\r\n#f\r\n$1\r\nk\r\n:1\r\n',
    options: { maps: 'map' },
    events: [
      reply(
        new Map<RespValue, RespValue>([
          [0, false],
          ['k', 1],
        ]),
      ),
    ],
  },
  {
    name: "maps: 'array' (as RESP2 returns HGETALL)",
    input: '%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n',
    options: { maps: 'array' },
    events: [reply(['a', 1, 'b', 2])],
  },
  { name: 'set', input: '~3\r\n+a\r\n+b\r\n+c\r\n', events: [reply(['a', 'b', 'c'])] },
  {
    name: "sets: 'set'",
    input: '~2\r\n+a\r\n:1\r\n',
    options: { sets: 'set' },
    events: [reply(new Set<RespValue>(['a', 1]))],
  },
  {
    name: 'attribute before a reply',
    input:
      '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n',
    events: [
      attribute(
        map([
          [
            'key-popularity',
            map([
              ['a', 0.1923],
              ['b', 0.0012],
            ]),
          ],
        ]),
      ),
      reply([2039123, 9543892]),
    ],
  },
  {
    name: 'attribute inside an array annotates the next element',
    input: '*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n:3\r\n',
    events: [attribute(map([['ttl', 3600]])), reply([1, 2, 3])],
  },
  {
    name: 'push frame',
    input: '>4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n',
    events: [push(['pubsub', 'message', 'somechannel', 'this is the message'])],
  },
  {
    name: 'push frame between replies',
    input: '+OK\r\n>3\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n_\r\n:1\r\n',
    events: [reply('OK'), push(['invalidate', ['key'], null]), reply(1)],
  },
  {
    name: 'streamed string',
    input: '$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n',
    events: [reply('Hello word')], // sic: the RESP3 specification's example
  },
  {
    name: 'streamed string as Buffer',
    input: '$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n',
    options: { returnBuffers: true },
    events: [reply(buf('abc'))],
  },
  { name: 'empty streamed string', input: '$?\r\n;0\r\n', events: [reply('')] },
  { name: 'streamed array', input: '*?\r\n:1\r\n:2\r\n:3\r\n.\r\n', events: [reply([1, 2, 3])] },
  { name: 'empty streamed array', input: '*?\r\n.\r\n', events: [reply([])] },
  {
    name: 'streamed map',
    input: '%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n',
    events: [
      reply(
        map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ],
  },
  { name: 'streamed set', input: '~?\r\n+x\r\n+y\r\n.\r\n', events: [reply(['x', 'y'])] },
  {
    name: 'streamed aggregates nested in each other and in arrays',
    input: '*2\r\n*?\r\n$?\r\n;1\r\na\r\n;0\r\n*?\r\n.\r\n.\r\n:9\r\n',
    events: [reply([['a', []], 9])],
  },
]

/** Events as vitest compares them: -0 and 0 are told apart separately below. */
function run(fixture: Fixture, chunks: Buffer[]): Event[] {
  return decode(chunks, fixture.options)
}

describe('Decoder fixtures', () => {
  for (const fixture of fixtures) {
    const data = typeof fixture.input === 'string' ? buf(fixture.input) : fixture.input
    it(`${fixture.name}: whole, byte by byte, and split at every position`, () => {
      expect(run(fixture, splits.whole(data))).toEqual(fixture.events)
      expect(run(fixture, splits.bytes(data))).toEqual(fixture.events)
      for (let position = 0; position <= data.length; position++) {
        expect(run(fixture, splits.at(data, position)), `split at ${position}`).toEqual(fixture.events)
      }
    })
  }

  it('every fixture back to back in one stream, whole and byte by byte', () => {
    const plain = fixtures.filter((fixture) => fixture.options === undefined)
    const data = Buffer.concat(
      plain.map((fixture) => (typeof fixture.input === 'string' ? buf(fixture.input) : fixture.input)),
    )
    const expected = plain.flatMap((fixture) => fixture.events)
    expect(decode(splits.whole(data))).toEqual(expected)
    expect(decode(splits.bytes(data))).toEqual(expected)
  })

  it('accepts plain Uint8Arrays as chunks', () => {
    const { decoder, events } = recorder()
    decoder.write(new Uint8Array(buf('$5\r\nhel')))
    decoder.write(new Uint8Array(buf('lo\r\n:1\r\n')))
    expect(events).toEqual([reply('hello'), reply(1)])
  })

  it('-0 stays -0 for doubles and becomes 0 for integers', () => {
    const [double, integer] = decode([buf(',-0\r\n:-0\r\n')])
    expect(Object.is((double as { value: unknown }).value, -0)).toBe(true)
    expect(Object.is((integer as { value: unknown }).value, 0)).toBe(true)
  })

  it('maps are null-prototype objects: __proto__ and constructor are plain keys', () => {
    const [event] = decode([
      buf('%3\r\n+__proto__\r\n+polluted\r\n+constructor\r\n:1\r\n+toString\r\n:2\r\n'),
    ])
    const value = (event as { value: Record<string, unknown> }).value
    expect(Object.getPrototypeOf(value)).toBeNull()
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor', 'toString'])
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('polluted')
    expect(value.constructor).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('Buffers it hands out are real Buffers', () => {
    const [event] = decode([buf('$5\r\nhello\r\n')], { returnBuffers: true })
    const value = (event as { value: Buffer }).value
    expect(Buffer.isBuffer(value)).toBe(true)
    expect(value).toBeInstanceOf(Buffer)
    expect(value.constructor).toBe(Buffer)
    expect(Object.getPrototypeOf(value)).toBe(Buffer.prototype)
    assert.deepStrictEqual(value, buf('hello'))
    expect(value.toString('base64')).toBe('aGVsbG8=')
    expect(value.equals(buf('hello'))).toBe(true)
    expect(Buffer.concat([value, value]).toString()).toBe('hellohello')
    const sliced = value.subarray(1, 3)
    expect(Buffer.isBuffer(sliced)).toBe(true)
    expect(sliced.toString()).toBe('el')
    expect(JSON.stringify(value)).toBe(JSON.stringify(buf('hello')))
  })
})
