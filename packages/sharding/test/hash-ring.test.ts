import { createHash, randomBytes } from 'node:crypto'
import { isRediskitError } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import { HashRing } from '../src/hash-ring.js'
import { md5, md5State } from '../src/md5.js'

// Generated with libmemcached 1.1 (Debian libmemcached-dev): DISTRIBUTION_CONSISTENT_KETAMA,
// KETAMA_WEIGHTED, KETAMA_HASH md5; servers added as host/port, the generator is
// memcached_generate_hash(). Our ring with the same ids and weights must agree key for key.
const libmemcached3: [string, string][] = [
  ['', '10.0.1.2:6380'],
  ['a', '10.0.1.3:6379'],
  ['foo', '10.0.1.1:6379'],
  ['user:1', '10.0.1.1:6379'],
  ['user:2', '10.0.1.2:6380'],
  ['session:abcdef', '10.0.1.3:6379'],
  ['app:1:user:42', '10.0.1.2:6380'],
  ['κλειδί', '10.0.1.2:6380'],
  ['x', '10.0.1.2:6380'],
  ['The quick brown fox jumps over the lazy dog', '10.0.1.3:6379'],
  ['key-0', '10.0.1.3:6379'],
  ['key-1', '10.0.1.3:6379'],
  ['key-2', '10.0.1.2:6380'],
  ['key-3', '10.0.1.1:6379'],
  ['key-4', '10.0.1.1:6379'],
  ['key-5', '10.0.1.2:6380'],
  ['key-6', '10.0.1.1:6379'],
  ['key-7', '10.0.1.2:6380'],
  ['key-8', '10.0.1.3:6379'],
  ['key-9', '10.0.1.1:6379'],
]
// Four servers with weights 1, 2, 3, 1 (in that order).
const libmemcachedWeighted: [string, string][] = [
  ['', '10.0.1.2:6380'],
  ['a', '10.0.1.2:6380'],
  ['foo', '10.0.1.4:7000'],
  ['user:1', '10.0.1.3:6379'],
  ['user:2', '10.0.1.2:6380'],
  ['session:abcdef', '10.0.1.3:6379'],
  ['app:1:user:42', '10.0.1.2:6380'],
  ['κλειδί', '10.0.1.2:6380'],
  ['x', '10.0.1.2:6380'],
  ['The quick brown fox jumps over the lazy dog', '10.0.1.3:6379'],
  ['key-0', '10.0.1.3:6379'],
  ['key-1', '10.0.1.3:6379'],
  ['key-2', '10.0.1.2:6380'],
  ['key-3', '10.0.1.1:6379'],
  ['key-4', '10.0.1.1:6379'],
  ['key-5', '10.0.1.2:6380'],
  ['key-6', '10.0.1.1:6379'],
  ['key-7', '10.0.1.2:6380'],
  ['key-8', '10.0.1.3:6379'],
  ['key-9', '10.0.1.1:6379'],
]

function counts(ring: HashRing, keys: string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const k of keys) out.set(ring.nodeFor(k), (out.get(ring.nodeFor(k)) ?? 0) + 1)
  return out
}

const keys30k = Array.from({ length: 30_000 }, (_, i) => `app:1:object:${i}`)

describe('md5', () => {
  it('matches node:crypto on random inputs of every length around the block boundaries', () => {
    for (let len = 0; len < 300; len++) {
      const bytes = randomBytes(len)
      md5(bytes, 0, len)
      const digest = Buffer.alloc(16)
      for (let w = 0; w < 4; w++) digest.writeUInt32LE(md5State[w]!, w * 4)
      expect(digest.toString('hex')).toBe(createHash('md5').update(bytes).digest('hex'))
    }
  })

  it('hashes a sub-range of a buffer', () => {
    const bytes = Buffer.from('xxhello worldyy')
    expect(md5(bytes, 2, 13)).toBe(createHash('md5').update('hello world').digest().readUInt32LE(0))
  })
})

describe('HashRing', () => {
  it('places keys exactly as libmemcached weighted ketama does', () => {
    const ring = new HashRing(['10.0.1.1:6379', '10.0.1.2:6380', '10.0.1.3:6379'], {
      hashTags: false,
      vnodes: 160,
    })
    for (const [key, node] of libmemcached3) expect([key, ring.nodeFor(key)]).toEqual([key, node])
  })

  it('places keys exactly as libmemcached does with weights', () => {
    const ring = new HashRing(
      [
        { id: '10.0.1.1:6379', weight: 1 },
        { id: '10.0.1.2:6380', weight: 2 },
        { id: '10.0.1.3:6379', weight: 3 },
        { id: '10.0.1.4:7000', weight: 1 },
      ],
      { hashTags: false, vnodes: 160 },
    )
    for (const [key, node] of libmemcachedWeighted) expect([key, ring.nodeFor(key)]).toEqual([key, node])
  })

  it('gives each node 1024 points by default, 160 in ketama mode', () => {
    expect([...new HashRing(['a:1', 'b:1', 'c:1']).pointCounts().values()]).toEqual([1024, 1024, 1024])
    const ring = new HashRing(['a:1', 'b:1', 'c:1'], { vnodes: 160 })
    expect([...ring.pointCounts().values()]).toEqual([160, 160, 160])
    expect([...new HashRing(['a:1', 'b:1'], { vnodes: 40 }).pointCounts().values()]).toEqual([40, 40])
  })

  it('does not depend on the order nodes are listed in', () => {
    const a = new HashRing(['n1:6379', 'n2:6379', 'n3:6379', { id: 'n4:6379', weight: 2 }])
    const b = new HashRing([{ id: 'n4:6379', weight: 2 }, 'n3:6379', 'n1:6379', 'n2:6379'])
    for (const k of keys30k.slice(0, 5000)) expect(b.nodeFor(k)).toBe(a.nodeFor(k))
  })

  it('spreads 30k keys over any 3 nodes within 10% of the mean', () => {
    // 50 rings of 3 pseudo-random addresses (a fixed LCG, so the test is reproducible).
    let seed = 12345
    const port = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return 12_000 + (seed % 10_000)
    }
    for (let trial = 0; trial < 50; trial++) {
      const ring = new HashRing([`127.0.0.1:${port()}`, `127.0.0.1:${port()}`, `10.1.0.${trial}:${port()}`])
      for (const n of counts(ring, keys30k).values()) expect(Math.abs(n - 10_000) / 10_000).toBeLessThan(0.1)
    }
  })

  it('moves at most 30% of keys when a 4th node is added, and only to the new node', () => {
    const three = new HashRing(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'])
    const four = three.with('127.0.0.1:7004')
    let moved = 0
    for (const k of keys30k) {
      const before = three.nodeFor(k)
      const after = four.nodeFor(k)
      if (before !== after) {
        moved++
        expect(after).toBe('127.0.0.1:7004')
      }
    }
    expect(moved / keys30k.length).toBeLessThan(0.3)
    expect(moved / keys30k.length).toBeGreaterThan(0.15)
  })

  it('moves only the removed node keys when a node is removed', () => {
    const four = new HashRing(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004'])
    const three = four.without('127.0.0.1:7002')
    for (const k of keys30k) {
      const before = four.nodeFor(k)
      if (before !== '127.0.0.1:7002') expect(three.nodeFor(k)).toBe(before)
    }
  })

  it('honours weights roughly in proportion', () => {
    const ring = new HashRing([
      { id: 'a:1', weight: 1 },
      { id: 'b:1', weight: 3 },
    ])
    const c = counts(ring, keys30k)
    expect(c.get('b:1')! / c.get('a:1')!).toBeGreaterThan(2.4)
    expect(c.get('b:1')! / c.get('a:1')!).toBeLessThan(3.6)
  })

  it('hashes only the {tag} when there is one', () => {
    const ring = new HashRing(['a:1', 'b:1', 'c:1', 'd:1', 'e:1'])
    const owner = ring.nodeFor('user:1000')
    for (const k of ['{user:1000}:profile', 'x{user:1000}', '{user:1000}{other}', 'cart:{user:1000}:items']) {
      expect(ring.nodeFor(k)).toBe(owner)
    }
    expect(ring.hash('{user:1000}')).toBe(ring.hash('user:1000'))
    // Empty or unclosed tags hash the whole key, as in Redis Cluster.
    expect(ring.hash('{}x')).toBe(new HashRing(['a:1'], { hashTags: false }).hash('{}x'))
    expect(ring.hash('{abc')).toBe(new HashRing(['a:1'], { hashTags: false }).hash('{abc'))
  })

  it('hashes long and multi-byte keys like md5 of their UTF-8 bytes', () => {
    const ring = new HashRing(['a:1'], { hashTags: false })
    for (const key of ['é'.repeat(500), 'x'.repeat(10_000), '🙂 emoji key', '']) {
      expect(ring.hash(key)).toBe(createHash('md5').update(key, 'utf8').digest().readUInt32LE(0))
    }
  })

  it('rejects bad nodes and options with E_CONFIG', () => {
    const bad: (() => unknown)[] = [
      () => new HashRing([]),
      () => new HashRing(['a', 'a']),
      () => new HashRing(['']),
      () => new HashRing([{ id: 'a', weight: 0 }]),
      () => new HashRing([{ id: 'a', weight: Number.NaN }]),
      () => new HashRing(['a'], { vnodes: 2 }),
      () => new HashRing(['a'], { vnodes: 1.5 }),
    ]
    for (const make of bad) {
      let caught: unknown
      try {
        make()
      } catch (err) {
        caught = err
      }
      expect(isRediskitError(caught, 'E_CONFIG')).toBe(true)
    }
  })
})
