import { describe, expect, it } from 'vitest'
import { createCache } from '../src/create-cache.js'

// TTL jitter: every TTL a write stores is spread by +-jitter, so keys written together do not
// expire together. (Bounds are checked; the spread itself is random: 200 draws all landing
// within +-1% of the TTL has a probability of 0.1^200.)

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }
const keys = Array.from({ length: 200 }, (_, i) => `k${i}`)

function spread(ttls: (number | null | undefined)[], base: number, jitter: number): void {
  const values = ttls as number[]
  expect(values.every((ttl) => typeof ttl === 'number')).toBe(true)
  // The store reports ms left: a few ms may have passed since the write.
  expect(Math.min(...values)).toBeGreaterThanOrEqual(base * (1 - jitter) - 1000)
  expect(Math.max(...values)).toBeLessThanOrEqual(base * (1 + jitter))
  expect(Math.min(...values)).toBeLessThan(base * 0.99)
  expect(Math.max(...values)).toBeGreaterThan(base * 1.01)
}

describe('jitter', () => {
  it('spreads the TTLs of set, add, setMany, getOrSet and touch by +-jitter', async () => {
    const cache = createCache({ jitter: 0.1, ttl: 100_000, logger: quiet })
    await Promise.all(keys.map((k) => cache.set(k, 1)))
    spread(await Promise.all(keys.map((k) => cache.ttl(k))), 100_000, 0.1)
    await Promise.all(keys.map((k) => cache.add(`add:${k}`, 1, 200_000)))
    spread(await Promise.all(keys.map((k) => cache.ttl(`add:${k}`))), 200_000, 0.1)
    await cache.setMany(keys.map((k) => [`many:${k}`, 1] as [string, number]))
    spread(await Promise.all(keys.map((k) => cache.ttl(`many:${k}`))), 100_000, 0.1)
    await Promise.all(keys.map((k) => cache.getOrSet(`gos:${k}`, () => 1)))
    spread(await Promise.all(keys.map((k) => cache.ttl(`gos:${k}`))), 100_000, 0.1)
    await Promise.all(keys.map((k) => cache.touch(k, 300_000)))
    spread(await Promise.all(keys.map((k) => cache.ttl(k))), 300_000, 0.1)
  })

  it('leaves exact TTLs alone: no jitter by default, and none for expire() or keepTtl', async () => {
    const plain = createCache({ logger: quiet })
    await plain.set('k', 1, 100_000)
    expect(await plain.ttl('k')).toBeGreaterThan(99_000)
    const jittered = createCache({ jitter: 0.5, logger: quiet })
    await jittered.set('e', 1)
    await jittered.expire('e', 100_000)
    expect(await jittered.ttl('e')).toBeGreaterThan(99_000)
    await jittered.set('e', 2, { keepTtl: true })
    expect(await jittered.ttl('e')).toBeGreaterThan(99_000)
    await jittered.set('forever', 1, null)
    expect(await jittered.ttl('forever')).toBeNull()
  })

  it('must be a fraction in [0, 1)', () => {
    for (const bad of [-0.1, 1, 2, Number.NaN, '0.1']) {
      expect(() => createCache({ jitter: bad as number })).toThrow(/jitter/)
    }
  })
})
