import { describe, expect, it } from 'vitest'
import { createCache } from '../src/create-cache.js'
import type { RediskitError } from '../src/errors.js'
import { isRediskitError } from '../src/errors.js'

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }

function recorder() {
  const cache = createCache({ prefix: 'app', logger: quiet })
  const events: string[] = []
  cache.on('hit', (key) => events.push(`hit ${key}`))
  cache.on('miss', (key) => events.push(`miss ${key}`))
  cache.on('set', (key) => events.push(`set ${key}`))
  cache.on('delete', (key) => events.push(`delete ${key}`))
  cache.on('error', (error) => events.push(`error ${error.code}`))
  return { cache, events }
}

describe('events', () => {
  it('reports hits, misses, sets and deletes with user keys', async () => {
    const { cache, events } = recorder()
    await cache.get('a')
    await cache.set('a', 1)
    await cache.get('a')
    await cache.add('a', 2)
    await cache.getMany(['a', 'b'])
    await cache.setMany({ b: 2, c: 3 })
    await cache.incr('n')
    await cache.delete('a')
    await cache.deleteMany(['b', 'c'])
    await cache.getOrSet('g', () => 1)
    await cache.getOrSet('g', () => 1)
    await cache.set('x', 1, 0)
    expect(events).toEqual([
      'miss a',
      'set a',
      'hit a',
      'hit a',
      'miss b',
      'set b',
      'set c',
      'set n',
      'delete a',
      'delete b',
      'delete c',
      'miss g',
      'set g',
      'hit g',
      'delete x',
    ])
  })

  it('reports deletes of deletePattern and clear with user keys', async () => {
    const { cache, events } = recorder()
    await cache.setMany({ 'p:1': 1, 'p:2': 2, q: 3 })
    await cache.set('old', 1, { version: 7 })
    events.length = 0
    await cache.deletePattern('p:*')
    expect(events.sort()).toEqual(['delete p:1', 'delete p:2'])
    events.length = 0
    await cache.clear()
    expect(events.sort()).toEqual(['delete old', 'delete q'])
  })

  it('reports undecodable values as error events with op and key', async () => {
    const cache = createCache({ prefix: 'app', logger: quiet })
    const errors: RediskitError[] = []
    cache.on('error', (error) => errors.push(error))
    await cache.store.set('app:1:bad', Buffer.from('not ours'))
    expect(await cache.get('bad')).toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(errors[0]?.code).toBe('E_DECODE')
    expect(errors[0]?.details).toMatchObject({ op: 'decode', key: 'bad' })
  })

  it('off removes a listener; unknown events are E_CONFIG', async () => {
    const cache = createCache({ logger: quiet })
    const seen: string[] = []
    const listener = (key: string): void => {
      seen.push(key)
    }
    cache.on('miss', listener)
    await cache.get('a')
    cache.off('miss', listener)
    cache.off('miss', listener)
    await cache.get('b')
    expect(seen).toEqual(['a'])
    let caught: unknown
    try {
      cache.on('hits' as 'hit', listener)
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_CONFIG')).toBe(true)
  })

  it('a listener removing itself while emitting does not disturb the others', async () => {
    const cache = createCache({ logger: quiet })
    const seen: string[] = []
    const once = (key: string): void => {
      seen.push(`once ${key}`)
      cache.off('miss', once)
    }
    cache.on('miss', once)
    cache.on('miss', (key) => seen.push(`always ${key}`))
    await cache.get('a')
    await cache.get('b')
    expect(seen).toEqual(['once a', 'always a', 'always b'])
  })
})

describe('stats', () => {
  it('counts hits, misses, sets, deletes and errors', async () => {
    const cache = createCache({ logger: quiet })
    await cache.set('a', 1)
    await cache.setMany({ b: 2, c: 3 })
    await cache.get('a')
    await cache.getMany(['b', 'zz'])
    await cache.delete('a')
    await cache.delete('a')
    await cache.deleteMany(['b', 'c'])
    await cache.store.set(':1:bad', Buffer.from('?'))
    await cache.get('bad')
    const stats = cache.stats()
    expect(stats).toMatchObject({ hits: 2, misses: 2, sets: 3, deletes: 3, errors: 1 })
    expect(stats.hitRatio).toBe(0.5)
  })

  it('keeps per-operation latency from a fixed window of samples', async () => {
    const cache = createCache({ logger: quiet })
    for (let i = 0; i < 300; i++) await cache.set(`k${i}`, i)
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`)
    const { latency } = cache.stats()
    expect(latency.set?.count).toBe(300)
    expect(latency.get?.count).toBe(10)
    for (const op of [latency.set, latency.get]) {
      expect(op?.mean).toBeGreaterThanOrEqual(0)
      expect(op?.p50).toBeLessThanOrEqual(op?.p99 ?? 0)
      expect(op?.p99).toBeLessThanOrEqual(op?.max ?? 0)
    }
    expect(latency.delete).toBeUndefined()
  })

  it('resets', async () => {
    const cache = createCache({ logger: quiet })
    await cache.get('a')
    cache.resetStats()
    expect(cache.stats()).toEqual({
      hits: 0,
      misses: 0,
      hitRatio: 0,
      sets: 0,
      deletes: 0,
      errors: 0,
      latency: {},
    })
  })

  it('are per cache: a namespace counts its own', async () => {
    const cache = createCache({ logger: quiet })
    const child = cache.namespace('c')
    await child.get('a')
    expect(cache.stats().misses).toBe(0)
    expect(child.stats().misses).toBe(1)
  })
})
