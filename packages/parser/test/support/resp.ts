import { Decoder, type DecoderOptions, type RespValue } from '../../src/index.js'

/**
 * Test-side RESP3: a tagged value model, its wire bytes (written here independently of the
 * package's encoder, which only writes commands), and what the decoder should make of it.
 */
export type Node =
  | { t: 'simple'; v: string }
  | { t: 'blob'; v: Buffer }
  | { t: 'verbatim'; format: string; v: string }
  | { t: 'streamed'; parts: Buffer[] }
  | { t: 'error'; v: string }
  | { t: 'blobError'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'double'; text: string }
  | { t: 'big'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }
  | { t: 'nullBulk' }
  | { t: 'nullArray' }
  | { t: 'array' | 'set' | 'push'; items: Node[]; streamed?: boolean }
  | { t: 'map'; entries: [Node, Node][]; streamed?: boolean }
  | { t: 'attr'; entries: [Node, Node][]; value: Node }

/** The RESP3 bytes of a node. */
export function wire(node: Node): Buffer {
  const out: Buffer[] = []
  write(node, out)
  return Buffer.concat(out)
}

function write(node: Node, out: Buffer[]): undefined {
  const text = (s: string): undefined => {
    out.push(Buffer.from(s, 'utf8'))
    return undefined
  }
  switch (node.t) {
    case 'simple':
      return text(`+${node.v}\r\n`)
    case 'blob':
      text(`$${node.v.length}\r\n`)
      out.push(node.v)
      return text('\r\n')
    case 'verbatim': {
      const body = Buffer.from(`${node.format}:${node.v}`, 'utf8')
      text(`=${body.length}\r\n`)
      out.push(body)
      return text('\r\n')
    }
    case 'streamed':
      text('$?\r\n')
      for (const part of node.parts) {
        text(`;${part.length}\r\n`)
        out.push(part)
        text('\r\n')
      }
      return text(';0\r\n')
    case 'error':
      return text(`-${node.v}\r\n`)
    case 'blobError': {
      const body = Buffer.from(node.v, 'utf8')
      text(`!${body.length}\r\n`)
      out.push(body)
      return text('\r\n')
    }
    case 'int':
      return text(`:${node.v}\r\n`)
    case 'double':
      return text(`,${node.text}\r\n`)
    case 'big':
      return text(`(${node.v}\r\n`)
    case 'bool':
      return text(node.v ? '#t\r\n' : '#f\r\n')
    case 'null':
      return text('_\r\n')
    case 'nullBulk':
      return text('$-1\r\n')
    case 'nullArray':
      return text('*-1\r\n')
    case 'array':
    case 'set':
    case 'push': {
      const type = node.t === 'array' ? '*' : node.t === 'set' ? '~' : '>'
      text(`${type}${node.streamed === true ? '?' : node.items.length}\r\n`)
      for (const item of node.items) write(item, out)
      if (node.streamed === true) text('.\r\n')
      return
    }
    case 'map':
      text(`%${node.streamed === true ? '?' : node.entries.length}\r\n`)
      for (const [key, value] of node.entries) {
        write(key, out)
        write(value, out)
      }
      if (node.streamed === true) text('.\r\n')
      return
    case 'attr':
      text(`|${node.entries.length}\r\n`)
      for (const [key, value] of node.entries) {
        write(key, out)
        write(value, out)
      }
      return write(node.value, out)
  }
}

/** One thing a decoder reported. */
export type Event =
  | { kind: 'reply'; value: RespValue }
  | { kind: 'error'; value: Error }
  | { kind: 'push'; value: RespValue[] }
  | { kind: 'attribute'; value: RespValue }
  | { kind: 'protocol'; code: string; message: string }

/** A decoder that records every callback as an {@link Event}. */
export function recorder(options: Partial<DecoderOptions> = {}): { decoder: Decoder; events: Event[] } {
  const events: Event[] = []
  const decoder = new Decoder({
    onReply: (value) => events.push({ kind: 'reply', value }),
    onErrorReply: (value) => events.push({ kind: 'error', value }),
    onPush: (value) => events.push({ kind: 'push', value }),
    onAttribute: (value) => events.push({ kind: 'attribute', value }),
    onProtocolError: (error) => events.push({ kind: 'protocol', code: error.code, message: error.message }),
    ...options,
  })
  return { decoder, events }
}

/** Ways of cutting a stream into chunks. */
export const splits = {
  whole: (data: Buffer): Buffer[] => [data],
  bytes: (data: Buffer): Buffer[] => Array.from(data, (byte) => Buffer.from([byte])),
  at: (data: Buffer, position: number): Buffer[] => [data.subarray(0, position), data.subarray(position)],
  random: (data: Buffer, random: () => number): Buffer[] => {
    const out: Buffer[] = []
    let pos = 0
    while (pos < data.length) {
      const size = 1 + Math.floor(random() * Math.min(64, data.length - pos))
      out.push(data.subarray(pos, pos + size))
      pos += size
    }
    return out
  },
}

/** Feeds chunks (each a private copy, as a socket would hand them over) and returns the events. */
export function decode(chunks: readonly Buffer[], options: Partial<DecoderOptions> = {}): Event[] {
  const { decoder, events } = recorder(options)
  for (const chunk of chunks) decoder.write(Buffer.from(chunk))
  return events
}

/** A seeded PRNG (mulberry32): fuzz and property runs are reproducible from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Depth of a value nested as [[[...]]], measured without recursion. */
export function nestingDepth(value: RespValue): number {
  let depth = 0
  let current: RespValue = value
  while (Array.isArray(current)) {
    depth++
    current = current[0] ?? null
  }
  return depth
}
