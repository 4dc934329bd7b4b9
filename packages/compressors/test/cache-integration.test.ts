import type { Compressor, Serializer } from '@rediskit/core'
import { createCache } from '@rediskit/core'
import { json, msgpack, raw, v8 } from '@rediskit/serializers'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allCompressors, brotli, deflate, gzip, lz4, none, zstd, zstdAvailable } from '../src/index.js'

/** A document with every rich type, Unicode, and enough repetition to compress. */
function richDocument(): unknown {
  return {
    id: 42n ** 20n,
    title: 'Ünïcödé · 日本語 · 🎉',
    createdAt: new Date('2024-05-01T12:00:00.000Z'),
    avatar: Buffer.from([0, 1, 2, 250, 255]),
    tags: new Set(['a', 'b', 'c']),
    scores: new Map<unknown, unknown>([
      ['alice', 10],
      [7, { nested: new Date(0) }],
    ]),
    rows: Array.from({ length: 300 }, (_, i) => ({
      id: i,
      name: `user${i}`,
      active: i % 2 === 0,
      score: i * 1.5,
    })),
    nothing: null,
  }
}

/** What JSON can hold, for json({ plain: true }). */
function plainDocument(): unknown {
  return JSON.parse(
    JSON.stringify({
      title: 'Ünïcödé 🎉',
      rows: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `u${i}` })),
    }),
  )
}

const serializers: [string, () => Serializer, () => unknown][] = [
  ['json', () => json(), richDocument],
  ['json plain', () => json({ plain: true }), plainDocument],
  ['msgpack', () => msgpack(), richDocument],
  ['msgpack maps', () => msgpack({ records: false }), richDocument],
  ['v8', () => v8(), richDocument],
  ['raw', () => raw(), () => Buffer.from(JSON.stringify(plainDocument()))],
]

const compressors: [string, () => Compressor][] = [
  ['none', () => none()],
  ['gzip', () => gzip()],
  ['deflate', () => deflate()],
  ['brotli', () => brotli()],
  ['lz4', () => lz4()],
  // zstd needs node:zlib's zstd (Node >= 22.15); on older Node zstd() throws E_CONFIG
  // (compressors.test.ts checks that), so the pair cannot exist there.
  ...(zstdAvailable() ? [['zstd', () => zstd()] as [string, () => Compressor]] : []),
]

let redis: RedisDeployment

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  await redis?.stop()
})

describe('a Cache on a real Redis', () => {
  for (const [sName, makeSerializer, makeValue] of serializers) {
    for (const [cName, makeCompressor] of compressors) {
      it(`round-trips a document through ${sName} x ${cName}`, async () => {
        const prefix = `${sName.replace(' ', '-')}.${cName}`
        const compressor = makeCompressor()
        const serializer = makeSerializer()
        const cache = createCache({
          location: redis.url,
          prefix,
          serializer,
          compressor,
          compressThreshold: 0,
        })
        // Reads the stored bytes as they are in Redis.
        const bytes = createCache({ location: redis.url, prefix, serializer: raw() })
        try {
          expect(await cache.set('doc', makeValue())).toBe(true)
          expect(await cache.get('doc')).toStrictEqual(makeValue())
          const stored = (await bytes.get('doc')) as Buffer
          if (serializer.raw === true) {
            expect(stored.equals(makeValue() as Buffer)).toBe(true)
          } else {
            expect(stored[0]).toBe(0xc1) // core's frame magic
            expect(stored[3]).toBe(compressor.id) // compressed with it (the document shrinks with every algorithm)
          }
        } finally {
          await cache.close()
          await bytes.close()
        }
      })
    }
  }

  it('a cache configured with lz4 reads what every other compressor wrote', async () => {
    const reader = createCache({
      location: redis.url,
      prefix: 'mixed',
      serializer: msgpack(),
      compressor: lz4(),
      decompressors: allCompressors(),
    })
    try {
      for (const [cName, makeCompressor] of compressors) {
        const writer = createCache({
          location: redis.url,
          prefix: 'mixed',
          serializer: msgpack(),
          compressor: makeCompressor(),
          compressThreshold: 0,
        })
        try {
          await writer.set(`by-${cName}`, richDocument())
        } finally {
          await writer.close()
        }
        expect(await reader.get(`by-${cName}`), cName).toStrictEqual(richDocument())
      }
    } finally {
      await reader.close()
    }
  })
})
