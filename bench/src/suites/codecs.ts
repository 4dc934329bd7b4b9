/**
 * Codecs: encode + decode of one value, and the bytes that would be stored, for every rediskit
 * serializer x compressor pair, next to keyv's own pipelines for the same payloads.
 *
 * - rediskit rows run the pipeline the cache runs: core's `Envelope` (serializer, compressor and
 *   the value frame with its 4-byte header), with `compressThreshold: 0` so every payload goes
 *   through the compressor (the cache's default threshold of 1024 bytes would skip it for the
 *   100 B string). A value that does not shrink is stored uncompressed, as the cache does.
 * - keyv rows run keyv 5's published codecs as keyv stores values with them: @keyv/serialize
 *   (JSON with `:base64:` Buffers) around `{ value, expires }`; @keyv/compress-lz4 and
 *   @keyv/compress-gzip through their own `serialize()` (the compressed bytes end up in that JSON
 *   envelope: base64 for lz4, an object of byte indexes for gzip, since pako returns a Uint8Array
 *   that @keyv/serialize does not treat as a Buffer); those adapters take a string, so the value is
 *   first serialized by @keyv/serialize (or msgpackr). keyv's msgpackr serializer
 *   (@keyv/serialize-msgpackr: `new Packr({ structuredClone: true })`, base64) is not on the npm
 *   registry, so its four lines are reproduced here. keyv's codecs are async: each operation is
 *   awaited before the next (like the synchronous rediskit rows); the `concurrent` rows run a batch
 *   with Promise.all instead, which lets lz4-napi's thread-pool calls use a second core.
 * - Each contender is measured in several interleaved rounds and its best round is reported, so a
 *   load spike from other processes on the machine hits one round of one contender, not a row.
 */
import { deepStrictEqual } from 'node:assert/strict'
import { availableParallelism, loadavg } from 'node:os'
import { KeyvGzip } from '@keyv/compress-gzip'
import { KeyvLz4 } from '@keyv/compress-lz4'
import { defaultDeserialize, defaultSerialize } from '@keyv/serialize'
import { brotli, deflate, gzip, lz4, none, zstd, zstdAvailable } from '@rediskit/compressors'
import { type Compressor, Envelope, type Serializer } from '@rediskit/core'
import { json, msgpack, v8 } from '@rediskit/serializers'
import { Packr } from 'msgpackr'
import { type Measurement, measure } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

interface Payload {
  name: string
  value: unknown
  /** Operations per measured batch (larger for small payloads, so timer reads do not dominate). */
  batch: number
}

/** A 100-byte string. */
const shortString =
  'user:42 logged in from 203.0.113.7 with Firefox 128 on Linux; session 9f8e7d6c5b4a. Welcome back!'

/** A ~2 KB JSON object: a user profile with a few nested lists. */
const profile = {
  id: 48213,
  username: 'ada.lovelace',
  email: 'ada@example.com',
  name: { first: 'Ada', last: 'Lovelace' },
  createdAt: '2023-11-04T09:12:44.000Z',
  roles: ['admin', 'editor', 'billing'],
  settings: {
    theme: 'dark',
    language: 'en-GB',
    timezone: 'Europe/London',
    notifications: { email: true, sms: false },
  },
  addresses: [
    { kind: 'home', street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH', country: 'GB' },
    { kind: 'work', street: '1 Analytical Engine Way', city: 'Cambridge', zip: 'CB2 1TN', country: 'GB' },
  ],
  orders: Array.from({ length: 18 }, (_, i) => ({
    id: `ord_${100_000 + i * 37}`,
    total: Math.round((19.99 + i * 7.31) * 100) / 100,
    currency: 'GBP',
    status: i % 4 === 0 ? 'refunded' : 'delivered',
    items: 1 + (i % 3),
  })),
  bio: 'Mathematician and writer, known for work on the proposed mechanical general-purpose computer.',
}

/** A ~100 KB repetitive JSON document: a page of catalogue records with the same shape. */
const catalogue = {
  page: 1,
  pageSize: 550,
  total: 18_342,
  items: Array.from({ length: 550 }, (_, i) => ({
    id: 10_000 + i,
    sku: `SKU-${(10_000 + i).toString(36).toUpperCase()}`,
    title: `Stainless steel water bottle ${i % 7 === 0 ? '1L' : '750ml'}`,
    category: ['kitchen', 'outdoor', 'sport'][i % 3],
    price: Math.round((12.5 + (i % 40) * 0.75) * 100) / 100,
    currency: 'EUR',
    inStock: i % 5 !== 0,
    rating: Math.round((3 + (i % 20) / 10) * 10) / 10,
    tags: ['bpa-free', 'insulated'],
  })),
}

const payloads: Payload[] = [
  { name: '100 B string', value: shortString, batch: 64 },
  { name: '2 KB JSON object', value: profile, batch: 16 },
  { name: '100 KB repetitive JSON document', value: catalogue, batch: 1 },
]

const serializers: [string, () => Serializer][] = [
  ['json', () => json()],
  ['json-plain', () => json({ plain: true })],
  ['msgpack', () => msgpack()],
  ['msgpack-maps', () => msgpack({ records: false })],
  ['v8', () => v8()],
]

const compressors: [string, () => Compressor][] = [
  ['none', () => none()],
  ['gzip', () => gzip()],
  ['deflate', () => deflate()],
  ['brotli', () => brotli()],
  ['lz4', () => lz4()],
  ...(zstdAvailable() ? ([['zstd', () => zstd()]] as [string, () => Compressor][]) : []),
]

/** A contender: encode to what would be stored, decode back. */
interface Contender {
  name: string
  encode(value: unknown): Promise<Buffer | string | Uint8Array> | Buffer | string | Uint8Array
  decode(stored: Buffer | string | Uint8Array): Promise<unknown> | unknown
  /** 'sync': a plain loop; 'sequential': each async operation awaited; 'concurrent': Promise.all per batch. */
  mode: 'sync' | 'sequential' | 'concurrent'
}

/** Interleaved rounds per contender; the best one is reported. */
const ROUNDS = 3

function ours(
  serializerName: string,
  serializer: Serializer,
  compressorName: string,
  compressor: Compressor,
): Contender {
  const envelope = new Envelope({ serializer, compressor, compressThreshold: 0 })
  return {
    name: `rediskit ${serializerName}+${compressorName}`,
    encode: (value) => envelope.encode(value),
    decode: (stored) => envelope.decode(stored as Buffer),
    mode: 'sync',
  }
}

/** keyv's msgpackr serializer (@keyv/serialize-msgpackr), reproduced: it is not on the npm registry. */
const keyvPackr = new Packr({ structuredClone: true })
const keyvMsgpackr = {
  stringify: (data: unknown): string => Buffer.from(keyvPackr.pack(data)).toString('base64'),
  parse: (data: string): unknown => keyvPackr.unpack(Buffer.from(data, 'base64')),
}

interface KeyvCompression {
  serialize(data: { value: string; expires: number | null }): Promise<string>
  deserialize(data: string): Promise<{ value: unknown; expires: unknown }>
}

function keyvContenders(): Contender[] {
  const lz4Adapter = new KeyvLz4() as unknown as KeyvCompression
  const gzipAdapter = new KeyvGzip() as unknown as KeyvCompression
  const withCompression = (
    name: string,
    adapter: KeyvCompression,
    stringify: (v: unknown) => string,
    parse: (s: string) => unknown,
    mode: 'sequential' | 'concurrent' = 'sequential',
  ): Contender => ({
    name,
    encode: (value) => adapter.serialize({ value: stringify(value), expires: null }),
    decode: async (stored) => parse((await adapter.deserialize(stored as string)).value as string),
    mode,
  })
  return [
    {
      name: 'keyv json',
      encode: (value) => defaultSerialize({ value, expires: null }),
      decode: (stored) => (defaultDeserialize(stored as string) as { value: unknown }).value,
      mode: 'sync',
    },
    withCompression('keyv json+gzip', gzipAdapter, defaultSerialize, defaultDeserialize),
    withCompression('keyv json+lz4', lz4Adapter, defaultSerialize, defaultDeserialize),
    withCompression(
      'keyv json+lz4 concurrent',
      lz4Adapter,
      defaultSerialize,
      defaultDeserialize,
      'concurrent',
    ),
    {
      name: 'keyv msgpackr',
      encode: (value) => keyvMsgpackr.stringify({ value, expires: null }),
      decode: (stored) => (keyvMsgpackr.parse(stored as string) as { value: unknown }).value,
      mode: 'sync',
    },
    withCompression('keyv msgpackr+gzip', gzipAdapter, keyvMsgpackr.stringify, keyvMsgpackr.parse),
    withCompression('keyv msgpackr+lz4', lz4Adapter, keyvMsgpackr.stringify, keyvMsgpackr.parse),
    withCompression(
      'keyv msgpackr+lz4 concurrent',
      lz4Adapter,
      keyvMsgpackr.stringify,
      keyvMsgpackr.parse,
      'concurrent',
    ),
  ]
}

function byteLength(stored: Buffer | string | Uint8Array): number {
  return typeof stored === 'string' ? Buffer.byteLength(stored, 'utf8') : stored.byteLength
}

/** Checks the round trip (a fast wrong answer is not a result) and returns the stored size. */
async function storedBytes(contender: Contender, payload: Payload): Promise<number> {
  const stored = await contender.encode(payload.value)
  deepStrictEqual(
    await contender.decode(stored),
    payload.value,
    `${contender.name} does not round-trip ${payload.name}`,
  )
  return byteLength(stored)
}

function batchOf(contender: Contender, payload: Payload): () => unknown {
  const { value, batch } = payload
  switch (contender.mode) {
    case 'sync':
      return () => {
        for (let i = 0; i < batch; i++) contender.decode(contender.encode(value) as Buffer)
      }
    case 'sequential':
      return async () => {
        for (let i = 0; i < batch; i++) await contender.decode(await contender.encode(value))
      }
    case 'concurrent':
      return async () => {
        const ops: Promise<unknown>[] = []
        for (let i = 0; i < batch; i++)
          ops.push(Promise.resolve(contender.encode(value)).then(contender.decode))
        await Promise.all(ops)
      }
  }
}

/** Best of {@link ROUNDS} interleaved rounds per contender. */
async function measureAll(contenders: Contender[], payload: Payload): Promise<Map<string, number>> {
  const best = new Map<string, number>()
  const timeMs = Math.max(200, Math.round(Number(process.env.BENCH_TIME_MS ?? 1500) / ROUNDS))
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of contenders) {
      const m = await measure(contender.name, payload.batch, batchOf(contender, payload), {
        timeMs,
        warmupMs: round === 0 ? 300 : 50,
      })
      best.set(contender.name, Math.max(best.get(contender.name) ?? 0, m.opsPerSec))
    }
    console.log(`  ${payload.name}: round ${round + 1}/${ROUNDS} done`)
  }
  return best
}

export async function run(): Promise<void> {
  const load = loadavg()
  const tables: Table[] = []
  const summary: string[] = []
  for (const payload of payloads) {
    const jsonBytes = Buffer.byteLength(JSON.stringify(payload.value), 'utf8')
    const contenders: Contender[] = []
    for (const [sName, makeSerializer] of serializers) {
      for (const [cName, makeCompressor] of compressors) {
        contenders.push(ours(sName, makeSerializer(), cName, makeCompressor()))
      }
    }
    contenders.push(...keyvContenders())
    const bytes = new Map<string, number>()
    for (const contender of contenders) bytes.set(contender.name, await storedBytes(contender, payload))
    const best = await measureAll(contenders, payload)
    const rows: Measurement[] = contenders.map((c) => {
      const size = bytes.get(c.name) as number
      return {
        name: c.name,
        opsPerSec: best.get(c.name) as number,
        extra: { 'stored bytes': size, '% of JSON': `${((size / jsonBytes) * 100).toFixed(1)}%` },
      }
    })
    const find = (name: string) => rows.find((r) => r.name === name) as Measurement
    const mine = find('rediskit msgpack+lz4')
    const theirs = find('keyv msgpackr+lz4')
    const theirsConcurrent = find('keyv msgpackr+lz4 concurrent')
    const maps = find('rediskit msgpack-maps+lz4')
    const speed = mine.opsPerSec / theirs.opsPerSec
    const mineBytes = Number(mine.extra?.['stored bytes'])
    const theirBytes = Number(theirs.extra?.['stored bytes'])
    const fewer = 1 - mineBytes / theirBytes
    let line =
      `${payload.name} (JSON ${jsonBytes} B): rediskit msgpack+lz4 runs ${speed.toFixed(2)}x keyv msgpackr+lz4 ` +
      `(target >= 2x: ${speed >= 2 ? 'met' : 'MISSED'}; ${(mine.opsPerSec / theirsConcurrent.opsPerSec).toFixed(2)}x its concurrent run; ` +
      `msgpack-maps+lz4: ${(maps.opsPerSec / theirs.opsPerSec).toFixed(2)}x) and stores ${(fewer * 100).toFixed(1)}% fewer bytes ` +
      `(${mineBytes} vs ${theirBytes}; target >= 25%: ${fewer >= 0.25 ? 'met' : 'MISSED'})`
    if (payload === payloads[2]) {
      const share = mineBytes / jsonBytes
      line += `; msgpack+lz4 stores ${(share * 100).toFixed(1)}% of the JSON size (target < 28%: ${share < 0.28 ? 'met' : 'MISSED'})`
    }
    summary.push(line)
    tables.push({
      title: `${payload.name} (JSON text: ${jsonBytes} bytes), encode + decode`,
      baseline: 'keyv msgpackr+lz4',
      rows,
    })
  }
  const notes = [
    'rediskit rows: core `Envelope` (serializer + compressor + 4-byte value frame), `compressThreshold: 0`; a value that does not shrink is stored uncompressed (so its bytes equal the `+none` row).',
    "keyv rows: keyv 5's published codecs as keyv stores values (JSON envelope `{value, expires}`; compressed bytes as base64 for lz4, as an object of byte indexes for gzip). Each async operation is awaited before the next; `concurrent` rows run a batch with Promise.all (lz4-napi's async calls then use the thread pool). keyv's msgpackr serializer is reproduced (not on the npm registry).",
    `Best of ${ROUNDS} interleaved rounds per contender; load average when the suite started: ${load
      .map((l) => l.toFixed(1))
      .join(', ')} on ${availableParallelism()} cores (other work on the machine shows up as noise).`,
    `zstd: ${zstdAvailable() ? "node:zlib's zstd" : `not measured: node:zlib has no zstd on Node ${process.version} (needs >= 22.15)`}.`,
    '**Targets**',
    ...summary.map((line) => `- ${line}`),
  ]
  const last = tables[tables.length - 1]
  if (last) last.notes = notes
  writeReport('codecs', 'Codecs: serializer x compressor, encode + decode', tables)
}
