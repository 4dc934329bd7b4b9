import { isRediskitError } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import {
  type CommandArgument,
  CommandEncoder,
  Decoder,
  encodeCommand,
  encodeCommands,
  type RespValue,
} from '../src/index.js'

const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('latin1')

/** Reads encoded commands back as arrays of Buffers (a RESP array of bulk strings is valid RESP). */
function roundTrip(chunks: Buffer[]): RespValue[] {
  const out: RespValue[] = []
  const decoder = new Decoder({ onReply: (reply) => out.push(reply), returnBuffers: true })
  for (const chunk of chunks) decoder.write(chunk)
  return out
}

describe('encodeCommand', () => {
  it('writes RESP arrays of bulk strings', () => {
    expect(text(encodeCommand('PING'))).toBe('*1\r\n$4\r\nPING\r\n')
    expect(text(encodeCommand('SET', ['key', 'value', 'PX', 1000]))).toBe(
      '*5\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n$2\r\nPX\r\n$4\r\n1000\r\n',
    )
    expect(text(encodeCommand('GET', ['']))).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n')
  })

  it('measures strings in UTF-8 bytes', () => {
    const chunks = encodeCommand('SET', ['é€😀', `${'x'.repeat(100)}ü`])
    expect(roundTrip(chunks)).toEqual([
      [Buffer.from('SET'), Buffer.from('é€😀'), Buffer.from(`${'x'.repeat(100)}ü`)],
    ])
    expect(text(encodeCommand('GET', ['é']))).toBe('*2\r\n$3\r\nGET\r\n$2\r\n\xc3\xa9\r\n')
    // Non-ASCII after an ASCII start: the JS fast path starts over the UTF-8 way.
    expect(roundTrip(encodeCommand('SET', ['key:ü', 'a€b']))).toEqual([
      [Buffer.from('SET'), Buffer.from('key:ü'), Buffer.from('a€b')],
    ])
  })

  it('writes numbers exactly: no exponent notation for integers >= 1e21, bigints in full', () => {
    const args = (values: CommandArgument[]): string[] =>
      (roundTrip(encodeCommand('X', values))[0] as Buffer[]).slice(1).map((b) => b.toString())
    expect(args([0, -0, 42, -7, 2 ** 53, 1e21, 2 ** 70, -1e21, 1.5, 0.1, 1e-7, 5e-324])).toEqual([
      '0',
      '0',
      '42',
      '-7',
      '9007199254740992',
      '1000000000000000000000',
      '1180591620717411303424',
      '-1000000000000000000000',
      '1.5',
      '0.1',
      '1e-7',
      '5e-324',
    ])
    expect(args([Number.MAX_VALUE])).toEqual([BigInt(Number.MAX_VALUE).toString()])
    expect(args([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toEqual(['inf', '-inf'])
    expect(args([2n ** 64n, -(10n ** 30n), 0n])).toEqual([
      '18446744073709551616',
      '-1000000000000000000000000000000',
      '0',
    ])
    // Every written double reads back as the same double.
    for (const value of [0.1, 1 / 3, Math.PI, 1e300, 2.5e-300, 123456.789])
      expect(Number(args([value])[0])).toBe(value)
  })

  it('copies small Buffers and passes large ones through untouched (no copy)', () => {
    const small = Buffer.from([0, 1, 2, 0xff])
    const large = Buffer.alloc(64 * 1024, 7)
    const chunks = encodeCommand('SET', ['k', large, 'PX', 10])
    expect(chunks.some((chunk) => chunk === large)).toBe(true)
    const [decoded] = roundTrip(chunks) as Buffer[][]
    expect(decoded!.map((part) => part.length)).toEqual([3, 1, large.length, 2, 2])
    expect(decoded![2]!.equals(large)).toBe(true)
    const one = encodeCommand('SET', ['k', small])
    expect(one).toHaveLength(1)
    expect(roundTrip(one)).toEqual([[Buffer.from('SET'), Buffer.from('k'), small]])
    // A plain Uint8Array works as well.
    expect(roundTrip(encodeCommand('SET', ['k', new Uint8Array([9, 8])]))).toEqual([
      [Buffer.from('SET'), Buffer.from('k'), Buffer.from([9, 8])],
    ])
  })

  it('chunks it returned are never written again', () => {
    const first = encodeCommand('SET', ['a', 'one'])
    const copy = Buffer.concat(first)
    for (let i = 0; i < 5000; i++) encodeCommand('SET', [`key:${i}`, 'x'.repeat(i % 300)])
    expect(Buffer.concat(first).equals(copy)).toBe(true)
  })

  it('rejects values that are not arguments with E_ENCODE, naming the position, never the value', () => {
    for (const bad of [
      undefined,
      null,
      true,
      {},
      Number.NaN,
      () => 1,
      Symbol('s'),
    ] as unknown as CommandArgument[]) {
      let thrown: unknown
      try {
        encodeCommand('SET', ['k', bad])
      } catch (error) {
        thrown = error
      }
      expect(isRediskitError(thrown, 'E_ENCODE'), String(bad)).toBe(true)
      expect((thrown as Error).message).toMatch(/^argument 2 of SET is /)
    }
    // Nothing of a rejected command leaks into the next one.
    expect(text(encodeCommand('PING'))).toBe('*1\r\n$4\r\nPING\r\n')
    expect(() =>
      encodeCommands([
        ['SET', 'a', 'b'],
        ['SET', 'c', undefined as unknown as string],
      ]),
    ).toThrow(/argument 2/)
    expect(text(encodeCommand('PING'))).toBe('*1\r\n$4\r\nPING\r\n')
  })

  it('encodeCommands writes a pipeline into as few chunks as possible', () => {
    const commands = Array.from({ length: 500 }, (_, i) => ['SET', `key:${i}`, `value:${i}`, 'PX', 60_000])
    const chunks = encodeCommands(commands)
    expect(chunks.length).toBeLessThanOrEqual(2)
    const decoded = roundTrip(chunks) as Buffer[][]
    expect(decoded).toHaveLength(500)
    expect(decoded[499]!.map(String)).toEqual(['SET', 'key:499', 'value:499', 'PX', '60000'])
  })

  it('a CommandEncoder accumulates commands until take()', () => {
    const encoder = new CommandEncoder()
    encoder.write('GET', ['a'])
    encoder.writeArray(['GET', 'b'])
    expect(encoder.pendingBytes).toBe(Buffer.byteLength('*2\r\n$3\r\nGET\r\n$1\r\na\r\n') * 2)
    expect(text(encoder.take())).toBe('*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n')
    expect(encoder.pendingBytes).toBe(0)
    expect(encoder.take()).toEqual([])
    // Commands larger than a block.
    const big = 'y'.repeat(200_000)
    encoder.write('SET', ['k', big])
    const [decoded] = roundTrip(encoder.take()) as Buffer[][]
    expect(decoded!.map(String).map((part) => part.length)).toEqual([3, 1, big.length])
    expect(decoded![2]!.toString()).toBe(big)
  })
})
