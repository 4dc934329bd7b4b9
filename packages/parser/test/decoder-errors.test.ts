import { isRediskitError, type RediskitError } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import { Decoder, type DecoderOptions, type RespValue } from '../src/index.js'
import { decode, type Event, recorder, splits } from './support/resp.js'

const buf = (text: string): Buffer => Buffer.from(text, 'latin1')
const isProtocol = (event: Event): boolean => event.kind === 'protocol'

/** Events up to and including the first protocol error. */
function untilFailure(events: Event[]): Event[] {
  const index = events.findIndex(isProtocol)
  return index === -1 ? events : events.slice(0, index + 1)
}

interface Malformed {
  name: string
  input: string
  /** Replies that precede the bad part. */
  before?: RespValue[]
  options?: Partial<DecoderOptions>
}

const malformed: Malformed[] = [
  { name: 'unknown type byte', input: 'xyz\r\n' },
  { name: 'a reply, then an unknown type byte', input: '+OK\r\n?\r\n', before: ['OK'] },
  { name: 'bulk payload not followed by CR LF', input: '$5\r\nhelloXX+OK\r\n' },
  { name: 'bulk payload followed by LF only', input: '$5\r\nhello\n+OK\r\n' },
  { name: 'bulk length not a number', input: '$abc\r\nabc\r\n' },
  { name: 'bulk length missing', input: '$\r\n\r\n' },
  { name: 'bulk length -2', input: '$-2\r\n' },
  { name: 'bulk length with 16 digits', input: '$1234567890123456\r\n' },
  { name: 'integer with a letter', input: ':12a\r\n' },
  { name: 'integer without digits', input: ':\r\n' },
  { name: 'integer that is only a sign', input: ':-\r\n' },
  { name: 'integer ended by LF only', input: ':1\n:2\r\n' },
  { name: 'CR not followed by LF', input: '+OK\rX\r\n' },
  { name: 'boolean other than t/f', input: '#x\r\n' },
  { name: 'boolean with a bad terminator', input: '#t\r\r' },
  { name: 'null with content', input: '_x\r\n' },
  { name: 'double that is text', input: ',abc\r\n' },
  { name: 'double with two points', input: ',1.2.3\r\n' },
  { name: 'empty double', input: ',\r\n' },
  { name: 'hexadecimal double', input: ',0x10\r\n' },
  { name: 'big number with a letter', input: '(12a\r\n' },
  { name: 'null map', input: '%-1\r\n' },
  { name: 'null push', input: '>-1\r\n' },
  { name: 'array length with 16 digits', input: '*1234567890123456\r\n' },
  { name: 'array length ? followed by junk', input: '*?x\r\n' },
  { name: 'streamed string part outside a streamed string', input: ';4\r\nabcd\r\n' },
  { name: 'end marker outside a streamed aggregate', input: '.\r\n' },
  { name: 'end marker closing a sized array', input: '*2\r\n:1\r\n.\r\n' },
  { name: 'end marker closing a streamed string', input: '$?\r\n.\r\n' },
  { name: 'a reply inside a streamed string', input: '$?\r\n+OK\r\n' },
  { name: 'streamed map ended after a key', input: '%?\r\n+a\r\n.\r\n' },
  { name: 'streamed string part with length ?', input: '$?\r\n;?\r\n' },
  { name: 'verbatim string without its format', input: '=3\r\nabc\r\n' },
  { name: 'blob error of length -1', input: '!-1\r\n' },
  { name: 'nesting deeper than maxDepth', input: '*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n', options: { maxDepth: 3 } },
  { name: 'array longer than maxElements', input: '*11\r\n', options: { maxElements: 10 } },
  { name: 'map longer than maxElements (keys and values)', input: '%6\r\n', options: { maxElements: 10 } },
  {
    name: 'streamed array longer than maxElements',
    input: `*?\r\n${':1\r\n'.repeat(11)}.\r\n`,
    options: { maxElements: 10 },
  },
  {
    name: 'bulk string longer than maxBulkLength',
    input: '$11\r\nhello world\r\n',
    options: { maxBulkLength: 10 },
  },
  {
    name: 'streamed string longer than maxBulkLength',
    input: '$?\r\n;6\r\nhello \r\n;5\r\nworld\r\n;0\r\n',
    options: { maxBulkLength: 10 },
  },
  { name: 'default maxBulkLength (512 MiB)', input: `$${512 * 1024 * 1024 + 1}\r\n` },
  { name: 'default maxElements (2^27)', input: `*${2 ** 27 + 1}\r\n` },
]

describe('Decoder: malformed input is E_PROTOCOL and a clean reset', () => {
  for (const bad of malformed) {
    it(bad.name, () => {
      const data = buf(bad.input)
      const expected: Event[] = [
        ...(bad.before ?? []).map((value): Event => ({ kind: 'reply', value })),
        {
          kind: 'protocol',
          code: 'E_PROTOCOL',
          message: expect.stringMatching(/^invalid RESP/) as unknown as string,
        },
      ]
      // Whole: the replies before the bad part, one protocol error, the rest of the chunk dropped.
      const { decoder, events } = recorder(bad.options)
      decoder.write(data)
      expect(events).toEqual(expected)
      expect(decoder.pending).toBe(false)
      // A clean reset: the next reply decodes.
      decoder.write(buf('+OK\r\n'))
      expect(events.at(-1)).toEqual({ kind: 'reply', value: 'OK' })
      // Byte by byte and split at every position: the same events up to the error.
      expect(untilFailure(decode(splits.bytes(data), bad.options))).toEqual(expected)
      for (let position = 0; position <= data.length; position++) {
        expect(untilFailure(decode(splits.at(data, position), bad.options)), `split at ${position}`).toEqual(
          expected,
        )
      }
    })
  }

  it('the default maxDepth is 1024', () => {
    expect(decode([buf(`${'*1\r\n'.repeat(1024)}:1\r\n`)]).map((e) => e.kind)).toEqual(['reply'])
    expect(decode([buf(`${'*1\r\n'.repeat(1025)}:1\r\n`)]).map((e) => e.kind)).toEqual(['protocol'])
  })

  it('a line that never ends is cut off at maxLineLength, fed in any split', () => {
    const { decoder, events } = recorder({ maxLineLength: 64 })
    decoder.write(buf('+'))
    for (let i = 0; i < 7; i++) decoder.write(buf('a'.repeat(10)))
    expect(events.map((e) => e.kind)).toEqual(['protocol'])
    expect((events[0] as { message: string }).message).toMatch(/maxLineLength/)
    // What follows is parsed as new replies (here: garbage, so more protocol errors).
    decoder.write(buf('aaa'))
    expect(events.map((e) => e.kind)).toEqual(['protocol', 'protocol'])
    decoder.write(buf('$2\r\nok\r\n'))
    expect(events.at(-1)).toEqual({ kind: 'reply', value: 'ok' })
  })

  it('limits are checked before allocating: a declared 2^27-element array or 512 MiB bulk costs nothing up front', () => {
    const before = process.memoryUsage()
    const { decoder, events } = recorder()
    decoder.write(buf(`*${2 ** 27}\r\n:1\r\n`))
    expect(decoder.pending).toBe(true)
    decoder.reset()
    decoder.write(buf(`$${512 * 1024 * 1024}\r\nabc`))
    expect(decoder.pending).toBe(true)
    const after = process.memoryUsage()
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * 1024 * 1024)
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024)
    decoder.reset()
    decoder.write(buf(':1\r\n'))
    expect(events).toEqual([{ kind: 'reply', value: 1 }])
  })

  it('without onProtocolError, write() throws E_PROTOCOL and the decoder starts over', () => {
    const replies: RespValue[] = []
    const decoder = new Decoder({ onReply: (reply) => replies.push(reply) })
    let thrown: unknown
    try {
      decoder.write(buf('+OK\r\n$3\r\nabcXY'))
    } catch (error) {
      thrown = error
    }
    expect(isRediskitError(thrown, 'E_PROTOCOL')).toBe(true)
    expect((thrown as RediskitError).message).toMatch(/not followed by CR LF/)
    expect(replies).toEqual(['OK'])
    decoder.write(buf(':7\r\n'))
    expect(replies).toEqual(['OK', 7])
  })
})

describe('Decoder: callbacks', () => {
  it('an exception thrown by onReply is not a protocol error: the rest of the chunk is delivered, then it is rethrown', () => {
    const seen: RespValue[] = []
    const protocol: unknown[] = []
    const boom = new Error('listener bug')
    const decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply)
        if (reply === 'first') throw boom
      },
      onProtocolError: (error) => protocol.push(error),
    })
    expect(() => decoder.write(buf('+first\r\n+second\r\n*2\r\n:1\r\n'))).toThrow(boom)
    expect(seen).toEqual(['first', 'second'])
    expect(protocol).toEqual([])
    expect(decoder.pending).toBe(true) // the array's second element is still to come
    decoder.write(buf(':2\r\n'))
    expect(seen).toEqual(['first', 'second', [1, 2]])
  })

  it('exceptions from onErrorReply, onPush and onAttribute are rethrown the same way', () => {
    for (const [name, input] of [
      ['onErrorReply', '-ERR x\r\n'],
      ['onPush', '>1\r\n+p\r\n'],
      ['onAttribute', '|1\r\n+a\r\n+b\r\n'],
    ] as const) {
      const seen: RespValue[] = []
      const decoder = new Decoder({
        onReply: (reply) => seen.push(reply),
        [name]: () => {
          throw new Error(name)
        },
      })
      expect(() => decoder.write(buf(`${input}+after\r\n`))).toThrow(name)
      expect(seen).toEqual(['after'])
    }
  })

  it('reset() from inside a callback drops the rest of the chunk', () => {
    const seen: RespValue[] = []
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply)
        if (reply === 'stop') decoder.reset()
      },
    })
    decoder.write(buf('+a\r\n+stop\r\n+dropped\r\n*2\r\n'))
    expect(seen).toEqual(['a', 'stop'])
    expect(decoder.pending).toBe(false)
    decoder.write(buf('+b\r\n'))
    expect(seen).toEqual(['a', 'stop', 'b'])
  })

  it('write() from inside a callback is decoded after the current chunk, in order', () => {
    const seen: RespValue[] = []
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply)
        if (reply === 'a') decoder.write(buf('+c\r\n'))
      },
    })
    decoder.write(buf('+a\r\n+b\r\n'))
    expect(seen).toEqual(['a', 'b', 'c'])
  })

  it('reset() drops a partial reply', () => {
    const { decoder, events } = recorder()
    decoder.write(buf('*2\r\n:1\r\n$10\r\nabc'))
    expect(decoder.pending).toBe(true)
    decoder.reset()
    expect(decoder.pending).toBe(false)
    decoder.write(buf(':5\r\n'))
    expect(events).toEqual([{ kind: 'reply', value: 5 }])
  })

  it('push frames and attributes are dropped without their callbacks, never taken for replies', () => {
    const seen: RespValue[] = []
    const decoder = new Decoder({ onReply: (reply) => seen.push(reply) })
    decoder.write(buf('>2\r\n+invalidate\r\n*0\r\n|1\r\n+k\r\n+v\r\n+OK\r\n'))
    expect(seen).toEqual(['OK'])
  })

  it('error replies go to onReply as Errors without onErrorReply', () => {
    const seen: RespValue[] = []
    const decoder = new Decoder({ onReply: (reply) => seen.push(reply) })
    decoder.write(buf('-ERR oops\r\n'))
    expect(seen[0]).toBeInstanceOf(Error)
    expect((seen[0] as Error).message).toBe('ERR oops')
    expect((seen[0] as Error).name).toBe('ReplyError')
  })

  it('a custom errorFactory builds the error objects', () => {
    const seen: unknown[] = []
    class MyError extends Error {}
    const decoder = new Decoder({
      onReply: (reply) => seen.push(reply),
      onErrorReply: (error) => seen.push(error),
      errorFactory: (message, blob) => new MyError(`${blob ? 'blob' : 'simple'}: ${message}`),
    })
    decoder.write(buf('-ERR a\r\n!5\r\nERR b\r\n*1\r\n-ERR c\r\n'))
    const messages = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(messages) : value instanceof MyError ? value.message : value
    expect(messages(seen)).toEqual(['simple: ERR a', 'blob: ERR b', ['simple: ERR c']])
  })

  it('rejects invalid options with E_CONFIG', () => {
    const onReply = (): void => {}
    for (const options of [
      {},
      { onReply, maxDepth: 0 },
      { onReply, maxElements: -1 },
      { onReply, maps: 'hash' },
      { onReply, sets: 'list' },
      { onReply, returnBuffers: 'yes' },
      { onReply, onPush: 'nope' },
    ]) {
      let thrown: unknown
      try {
        new Decoder(options as DecoderOptions)
      } catch (error) {
        thrown = error
      }
      expect(isRediskitError(thrown, 'E_CONFIG'), JSON.stringify(options)).toBe(true)
    }
  })
})
