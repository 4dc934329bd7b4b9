import { describe, expect, it } from 'vitest'
import { type Decoder, type DecoderOptions, ReplyError, type RespValue } from '../src/index.js'
import { parseDouble } from '../src/numbers.js'
import { decode, type Event, type Node, prng, recorder, splits, wire } from './support/resp.js'

type Random = () => number

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const int = (random: Random, max: number): number => Math.floor(random() * max)

const TEXT = ['', 'a', 'OK', 'hello world', 'é', '€uro', '😀', 'key:123', 'x'.repeat(300), '  spaced  ']
const DOUBLES = [
  '0',
  '-0',
  '1.5',
  '0.3',
  '1e21',
  '-2.5E-8',
  '1.7976931348623157e308',
  '5e-324',
  'inf',
  '-inf',
  'nan',
  '-nan',
  '123456789.125',
]

function text(random: Random): string {
  if (random() < 0.7) return pick(random, TEXT)
  return Array.from({ length: int(random, 40) }, () => String.fromCharCode(32 + int(random, 95))).join('')
}

function bytes(random: Random): Buffer {
  const length = random() < 0.1 ? int(random, 3000) : int(random, 40)
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) out[i] = random() < 0.8 ? 32 + int(random, 95) : int(random, 256)
  return out
}

/** A random RESP3 value tree (attributes and push frames included, as they may occur). */
function tree(random: Random, depth: number, top: boolean): Node {
  const scalar = depth <= 0 || random() < 0.55
  if (scalar) {
    switch (int(random, 13)) {
      case 0:
        return { t: 'simple', v: text(random) }
      case 1:
      case 2:
        return { t: 'blob', v: bytes(random) }
      case 3:
        return { t: 'verbatim', format: pick(random, ['txt', 'mkd']), v: text(random) }
      case 4:
        return {
          t: 'streamed',
          parts: Array.from({ length: int(random, 4) }, () => bytes(random)).filter((p) => p.length > 0),
        }
      case 5:
        return { t: random() < 0.5 ? 'error' : 'blobError', v: `ERR ${text(random)}` }
      case 6: {
        const magnitude = pick(random, [10n, 1000n, 2n ** 53n, 2n ** 64n])
        return { t: 'int', v: BigInt(Math.floor((random() * 2 - 1) * 1e6)) * (magnitude / 1000n + 1n) }
      }
      case 7:
        return {
          t: 'double',
          text: random() < 0.5 ? pick(random, DOUBLES) : String((random() - 0.5) * 10 ** int(random, 30)),
        }
      case 8:
        return {
          t: 'big',
          v: BigInt(`${random() < 0.5 ? '-' : ''}${int(random, 1e9)}${'7'.repeat(int(random, 40))}`),
        }
      case 9:
        return { t: 'bool', v: random() < 0.5 }
      case 10:
        return { t: 'null' }
      case 11:
        return { t: 'nullBulk' }
      default:
        return { t: 'nullArray' }
    }
  }
  const size = int(random, 6)
  const items = (): Node[] => Array.from({ length: size }, () => tree(random, depth - 1, false))
  const streamed = random() < 0.2
  switch (int(random, 5)) {
    case 0:
      return {
        t: 'map',
        entries: Array.from({ length: size }, () => [tree(random, 0, false), tree(random, depth - 1, false)]),
        streamed,
      }
    case 1:
      return { t: 'set', items: items(), streamed }
    case 2:
      return top
        ? { t: 'push', items: items() }
        : {
            t: 'attr',
            entries: [
              [
                { t: 'simple', v: 'ttl' },
                { t: 'int', v: 3600n },
              ],
            ],
            value: tree(random, depth - 1, false),
          }
    default:
      return { t: 'array', items: items(), streamed }
  }
}

/** What the decoder reports for a node, with `maps: 'array'` and `sets: 'array'`. */
function expected(node: Node, buffers: boolean, top: boolean, attributes: Event[]): RespValue {
  const str = (data: Buffer): RespValue => (buffers ? data : data.toString('utf8'))
  switch (node.t) {
    case 'simple':
      return buffers ? Buffer.from(node.v, 'utf8') : node.v
    case 'blob':
      return str(node.v)
    case 'verbatim':
      return str(Buffer.from(node.v, 'utf8'))
    case 'streamed':
      return str(Buffer.concat(node.parts))
    case 'error':
    case 'blobError':
      return new ReplyError(node.v)
    case 'int':
      return node.v >= -(2n ** 53n) + 1n && node.v <= 2n ** 53n - 1n ? Number(node.v) : node.v
    case 'double':
      return parseDouble(node.text) ?? Number.NaN
    case 'big':
      return node.v
    case 'bool':
      return node.v
    case 'null':
    case 'nullBulk':
    case 'nullArray':
      return null
    case 'array':
    case 'set':
    case 'push':
      return node.items.map((item) => expected(item, buffers, false, attributes))
    case 'map':
      return node.entries.flatMap(([key, value]) => [
        expected(key, buffers, false, attributes),
        expected(value, buffers, false, attributes),
      ])
    case 'attr':
      attributes.push({
        kind: 'attribute',
        value: node.entries.flatMap(([k, v]) => [
          expected(k, buffers, false, []),
          expected(v, buffers, false, []),
        ]),
      })
      return expected(node.value, buffers, top, attributes)
  }
}

function expectedEvents(nodes: Node[], buffers: boolean): Event[] {
  const events: Event[] = []
  for (const node of nodes) {
    const attributes: Event[] = []
    const value = expected(node, buffers, true, attributes)
    events.push(...attributes)
    const leaf = node.t === 'attr' ? innermost(node) : node
    if (leaf.t === 'push') events.push({ kind: 'push', value: value as RespValue[] })
    else if (leaf.t === 'error' || leaf.t === 'blobError')
      events.push({ kind: 'error', value: value as Error })
    else events.push({ kind: 'reply', value })
  }
  return events
}

function innermost(node: Node): Node {
  let current = node
  while (current.t === 'attr') current = current.value
  return current
}

describe('Decoder properties', () => {
  for (const buffers of [false, true]) {
    it(`random RESP3 value trees decode back to what was encoded (${buffers ? 'Buffer' : 'string'} mode), in any split`, () => {
      const random = prng(buffers ? 1001 : 2002)
      const options: Partial<DecoderOptions> = { maps: 'array', sets: 'array', returnBuffers: buffers }
      for (let round = 0; round < 150; round++) {
        const nodes = Array.from({ length: 1 + int(random, 5) }, () => tree(random, 4, true))
        const data = Buffer.concat(nodes.map(wire))
        const want = expectedEvents(nodes, buffers)
        const label = `round ${round}`
        expect(decode(splits.whole(data), options), label).toEqual(want)
        expect(decode(splits.random(data, random), options), label).toEqual(want)
        if (data.length <= 400) {
          expect(decode(splits.bytes(data), options), label).toEqual(want)
          const position = int(random, data.length + 1)
          expect(decode(splits.at(data, position), options), `${label} split at ${position}`).toEqual(want)
        }
      }
    })
  }
})

/**
 * Fuzzing is deterministic (seeded) and sized to take a second or two here. For a longer
 * campaign: `RK_FUZZ_CASES=200000 RK_FUZZ_SEED=$RANDOM npx vitest run --project parser decoder-property`.
 */
const CASES = Number(process.env.RK_FUZZ_CASES ?? 1500)
const SEED = Number(process.env.RK_FUZZ_SEED ?? 4242)

describe('Decoder fuzzing: random and mutated input never crashes, hangs or grows without bound', () => {
  const ALPHABET = Buffer.from('$*+-:_,#(!=%~|>;.?0123456789\r\n\r\n\r\nabcdefinat-', 'latin1')
  const LIMITS: Partial<DecoderOptions> = {
    maxDepth: 16,
    maxElements: 64,
    maxBulkLength: 4096,
    maxLineLength: 512,
  }
  const VARIANTS: Partial<DecoderOptions>[] = [
    {},
    LIMITS,
    { maps: 'map', sets: 'set', returnBuffers: true, maxDepth: 64 },
    { stringNumbers: true, returnBuffers: 'bulk', bigNumbers: 'string' },
  ]

  /** Events up to the first protocol error (its wording depends on where the cut fell, so it is left out). */
  function untilFailure(events: Event[]): Event[] {
    const index = events.findIndex((event) => event.kind === 'protocol')
    const kept = index === -1 ? events : events.slice(0, index + 1)
    return kept.map((event) => (event.kind === 'protocol' ? { ...event, message: '' } : event))
  }

  /** Feeds garbage; nothing may throw. Then a reset decoder must decode a valid reply. */
  function survive(decoder: Decoder, events: Event[], chunks: Buffer[]): void {
    for (const chunk of chunks) decoder.write(chunk)
    for (const event of events) if (event.kind === 'protocol') expect(event.code).toBe('E_PROTOCOL')
    decoder.reset()
    const before = events.length
    decoder.write(Buffer.from('*2\r\n+OK\r\n:1\r\n'))
    const after = events.slice(before)
    expect(after.map((event) => event.kind)).toEqual(['reply'])
    expect(String((after[0] as { value: RespValue[] }).value)).toBe('OK,1')
  }

  it('random byte streams (biased to RESP characters), with default and small limits', () => {
    const random = prng(SEED + 1)
    for (let cases = 0; cases < CASES; cases++) {
      const length = 1 + int(random, 120)
      const data = Buffer.alloc(length)
      const biased = random() < 0.8
      for (let i = 0; i < length; i++)
        data[i] = biased ? ALPHABET[int(random, ALPHABET.length)]! : int(random, 256)
      const { decoder, events } = recorder(VARIANTS[cases % VARIANTS.length])
      survive(decoder, events, splits.random(data, random))
    }
  })

  it('mutated valid streams (flipped, inserted, deleted, duplicated bytes, truncation)', () => {
    const random = prng(SEED + 2)
    for (let cases = 0; cases < CASES; cases++) {
      const nodes = Array.from({ length: 1 + int(random, 3) }, () => tree(random, 3, true))
      let data = Buffer.concat(nodes.map(wire))
      for (let m = 1 + int(random, 3); m > 0 && data.length > 0; m--) {
        const at = int(random, data.length)
        switch (int(random, 5)) {
          case 0:
            data[at] = int(random, 256)
            break
          case 1:
            data = Buffer.concat([
              data.subarray(0, at),
              Buffer.from([ALPHABET[int(random, ALPHABET.length)]!]),
              data.subarray(at),
            ])
            break
          case 2:
            data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1)])
            break
          case 3: {
            const end = Math.min(data.length, at + int(random, 20))
            data = Buffer.concat([data.subarray(0, end), data.subarray(at, end), data.subarray(end)])
            break
          }
          default:
            data = data.subarray(0, at)
        }
      }
      const options = VARIANTS[cases % VARIANTS.length]!
      const { decoder, events } = recorder(options)
      survive(decoder, events, splits.random(data, random))
      // Split-invariance: any cut of the stream reports the same, up to the first protocol error.
      const whole = untilFailure(decode([data], options))
      const cut = splits.random(data, random)
      const split = untilFailure(decode(cut, options))
      expect(split, `seed ${SEED}, case ${cases}`).toEqual(whole)
    }
  })

  it('megabytes of garbage through one decoder keep its memory bounded by the limits', () => {
    const random = prng(99)
    const { decoder, events } = recorder(LIMITS)
    const start = process.memoryUsage()
    const chunk = Buffer.alloc(64 * 1024)
    for (let round = 0; round < 64; round++) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = ALPHABET[int(random, ALPHABET.length)]!
      decoder.write(Buffer.from(chunk))
    }
    const end = process.memoryUsage()
    expect(events.filter((event) => event.kind === 'protocol').length).toBeGreaterThan(0)
    // 4 MiB went through; what is held is bounded by the limits, not by the input.
    expect(end.heapUsed - start.heapUsed).toBeLessThan(48 * 1024 * 1024)
    decoder.reset()
    decoder.write(Buffer.from('+OK\r\n'))
    expect(events.at(-1)).toEqual({ kind: 'reply', value: 'OK' })
  })
})
