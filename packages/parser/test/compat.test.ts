import * as redisErrors from 'redis-errors'
import RedisParser3 from 'redis-parser'
import { describe, expect, it } from 'vitest'
import Parser, {
  ParserError,
  RedisParser,
  type RedisParserOptions,
  ReplyError,
  usesRedisErrorsPackage,
} from '../src/compat.js'
import { prng, splits } from './support/resp.js'

/** A RESP2 stream on which redis-parser 3 is right: what both must agree on. */
const corpus = Buffer.from(
  [
    '+OK\r\n',
    '+\r\n',
    '-ERR unknown command\r\n',
    ':0\r\n',
    ':-42\r\n',
    ':9007199254740991\r\n',
    '$5\r\nhello\r\n',
    '$0\r\n\r\n',
    '$-1\r\n',
    '*-1\r\n',
    '*0\r\n',
    '$6\r\na\r\nb\r\n\r\n',
    `$${Buffer.byteLength('é€😀')}\r\né€😀\r\n`,
    '*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n',
    '*2\r\n*2\r\n:1\r\n$-1\r\n*1\r\n-WRONGTYPE nested\r\n',
    `$3000\r\n${'x'.repeat(3000)}\r\n`,
    `*3\r\n$70000\r\n${'y'.repeat(70000)}\r\n:5\r\n$2\r\nok\r\n`,
  ].join(''),
  'utf8',
)

type Recorded = { reply?: unknown; error?: { name: string; message: string; isReply: boolean } | undefined }

function record(
  make: (options: RedisParserOptions) => { execute(b: Buffer): void },
  options: Partial<RedisParserOptions>,
  chunks: Buffer[],
): Recorded[] {
  const out: Recorded[] = []
  const describeError = (error: Error): Recorded['error'] => ({
    name: error.name,
    message: error.message,
    isReply: error instanceof redisErrors.ReplyError,
  })
  const normalize = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(normalize)
      : value instanceof Error
        ? describeError(value)
        : Buffer.isBuffer(value)
          ? `Buffer:${value.toString('base64')}`
          : value
  const parser = make({
    returnReply: (reply) => out.push({ reply: normalize(reply) }),
    returnError: (error) => out.push({ error: describeError(error) }),
    ...options,
  })
  for (const chunk of chunks) parser.execute(Buffer.from(chunk))
  return out
}

const theirs = (options: RedisParserOptions) =>
  new RedisParser3(options as ConstructorParameters<typeof RedisParser3>[0])
const ours = (options: RedisParserOptions) => new RedisParser(options)

describe('@rediskit/parser/compat: a redis-parser 3 drop-in', () => {
  for (const options of [
    {},
    { returnBuffers: true },
    { stringNumbers: true },
    { returnBuffers: true, stringNumbers: true },
  ]) {
    it(`replies and errors as redis-parser 3 gives them (${JSON.stringify(options)}), whole, byte by byte and in random splits`, () => {
      const random = prng(3)
      const reference = record(theirs, options, [corpus])
      expect(reference.length).toBeGreaterThan(10)
      for (const chunks of [
        splits.whole(corpus),
        splits.bytes(corpus),
        splits.random(corpus, random),
        splits.random(corpus, random),
      ]) {
        expect(record(ours, options, chunks)).toEqual(reference)
      }
    })
  }

  it('require() of the entry returns the class itself, as require("redis-parser") does', async () => {
    const entry = (await import('../src/compat.js')) as Record<string, unknown>
    expect(entry['module.exports']).toBe(RedisParser)
    // ...with the named exports as statics, so destructuring a require() works too.
    for (const name of ['ParserError', 'RedisError', 'RedisParser', 'ReplyError', 'usesRedisErrorsPackage']) {
      expect((RedisParser as unknown as Record<string, unknown>)[name], name).toBe(entry[name])
    }
  })

  it('error classes are those of the installed redis-errors package', () => {
    expect(usesRedisErrorsPackage).toBe(true)
    expect(ReplyError).toBe(redisErrors.ReplyError)
    expect(ParserError).toBe(redisErrors.ParserError)
    expect(Parser).toBe(RedisParser)
  })

  it('protocol errors go to returnFatalError as ParserError (to returnError without it), then the parser starts over', () => {
    for (const withFatal of [true, false]) {
      const fatal: Error[] = []
      const errors: Error[] = []
      const replies: unknown[] = []
      const parser = new RedisParser({
        returnReply: (reply) => replies.push(reply),
        returnError: (error) => errors.push(error),
        ...(withFatal ? { returnFatalError: (error: Error) => fatal.push(error) } : {}),
      })
      parser.execute(Buffer.from('+OK\r\n$3\r\nabcXY'))
      const reported = withFatal ? fatal : errors
      expect(reported).toHaveLength(1)
      expect(reported[0]).toBeInstanceOf(redisErrors.ParserError)
      expect(reported[0]!.name).toBe('ParserError')
      expect(reported[0]!.message).toMatch(/^Protocol error/)
      expect(typeof (reported[0] as redisErrors.ParserError).offset).toBe('number')
      expect(typeof (reported[0] as redisErrors.ParserError).buffer).toBe('string')
      parser.execute(Buffer.from(':1\r\n'))
      expect(replies).toEqual(['OK', 1])
    }
  })

  it('validates its options as redis-parser does', () => {
    expect(() => new RedisParser(undefined as unknown as RedisParserOptions)).toThrow(
      new TypeError('Options are mandatory.'),
    )
    expect(() => new RedisParser({ returnReply: () => {} } as unknown as RedisParserOptions)).toThrow(
      new TypeError('The returnReply and returnError options have to be functions.'),
    )
    const parser = new RedisParser({ returnReply: () => {}, returnError: () => {} })
    expect(() => parser.setReturnBuffers('yes' as unknown as boolean)).toThrow(
      new TypeError('The returnBuffers argument has to be a boolean'),
    )
    expect(() => parser.setStringNumbers(1 as unknown as boolean)).toThrow(
      new TypeError('The stringNumbers argument has to be a boolean'),
    )
    expect(parser.optionReturnBuffers).toBe(false)
    expect(parser.optionStringNumbers).toBe(false)
  })

  it('setReturnBuffers and setStringNumbers switch without a reset, even in the middle of a reply', () => {
    const replies: unknown[] = []
    const parser = new RedisParser({ returnReply: (reply) => replies.push(reply), returnError: () => {} })
    parser.execute(Buffer.from('$3\r\nabc\r\n*2\r\n:1\r\n'))
    parser.setReturnBuffers(true)
    parser.setStringNumbers(true)
    parser.execute(Buffer.from('$2\r\nxy\r\n:7\r\n'))
    expect(replies).toEqual(['abc', [1, Buffer.from('xy')], '7'])
    expect(Buffer.isBuffer((replies[1] as unknown[])[1])).toBe(true)
    expect(parser.optionReturnBuffers).toBe(true)
    expect(parser.optionStringNumbers).toBe(true)
  })

  it('reset() drops a partial reply', () => {
    const replies: unknown[] = []
    const parser = new RedisParser({ returnReply: (reply) => replies.push(reply), returnError: () => {} })
    parser.execute(Buffer.from('*2\r\n:1\r\n'))
    parser.reset()
    parser.execute(Buffer.from(':2\r\n'))
    expect(replies).toEqual([2])
  })

  it('differs on purpose where redis-parser is wrong: integers beyond 2^53 are exact strings, not rounded numbers', () => {
    const input = Buffer.from(':9007199254740993\r\n')
    expect(record(theirs, {}, [input])).toEqual([{ reply: 9007199254740992 }])
    expect(record(ours, {}, [input])).toEqual([{ reply: '9007199254740993' }])
  })
})
