import { type Cache, createCache, ioredisDriver, isRediskitError, RedisStore } from '@rediskit/core'
import { type RedisDeployment, startRedis, storeContract, topologyContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HashRing, sharded } from '../src/index.js'

// Four independent servers; most tests use the first three.
let servers: RedisDeployment[] = []
const urls = (n: number): string[] => servers.slice(0, n).map((s) => s.url)

beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis(), startRedis()])
}, 60_000)
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

topologyContract(vitest, 'sharded over 3 servers', async () => ({ topology: sharded({ nodes: urls(3) }) }))

storeContract(vitest, 'RedisStore (sharded over 3 servers)', async () => ({
  store: new RedisStore(sharded({ nodes: urls(3) })),
}))

async function dbsize(url: string): Promise<number> {
  const driver = ioredisDriver(url)
  try {
    return Number(await driver.send('DBSIZE', []))
  } finally {
    await driver.close()
  }
}

async function flushAll(): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      const d = ioredisDriver(s.url)
      await d.send('FLUSHDB', [])
      await d.close()
    }),
  )
}

const keys = Array.from({ length: 30_000 }, (_, i) => `object:${i}`)

describe('sharded cache on real servers', () => {
  let caches: Cache[] = []
  const cache = (nodes: string[], extra: Parameters<typeof createCache>[0] = {}): Cache => {
    const c = createCache({ topology: sharded({ nodes }), prefix: 'dist', ...extra })
    caches.push(c)
    return c
  }
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()))
    caches = []
  })

  it('puts each of 3 nodes within 10% of the mean for 30k keys, and reads them back in order', async () => {
    await flushAll()
    const c = cache(urls(3))
    await c.setMany(keys.map((k, i) => [k, i] as [string, number]))
    const sizes = await Promise.all(urls(3).map(dbsize))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30_000)
    for (const size of sizes) expect(Math.abs(size - 10_000) / 10_000).toBeLessThan(0.1)
    const values = await c.getMany(keys)
    expect(values).toEqual(keys.map((_, i) => i))
    // The caller's order survives a random shuffle across nodes.
    const picked = [29_999, 5, 17_000, 5, 12]
    expect(await c.getMany(picked.map((i) => `object:${i}`))).toEqual(picked)
  })

  it('moves at most 30% of keys when a 4th node is added', async () => {
    await flushAll()
    await cache(urls(3)).setMany(keys.map((k) => [k, 1] as [string, number]))
    const values = await cache(urls(4)).getMany(keys)
    const moved = values.filter((v) => v === undefined).length
    expect(moved / keys.length).toBeLessThan(0.3)
    expect(moved).toBeGreaterThan(0)
  })

  it('moves only the removed node keys when a node is removed', async () => {
    await flushAll()
    await cache(urls(4)).setMany(keys.map((k) => [k, 1] as [string, number]))
    const removedSize = await dbsize(servers[3]!.url)
    const values = await cache(urls(3)).getMany(keys)
    expect(values.filter((v) => v === undefined).length).toBe(removedSize)
  })

  it('fans keys, deletePattern and clear out to every node', async () => {
    await flushAll()
    const c = cache(urls(3), { prefix: 'fan' })
    await c.setMany(Array.from({ length: 300 }, (_, i) => [`k:${i}`, i] as [string, number]))
    expect((await c.keys('k:*')).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `k:${i}`).sort())
    expect(await c.deletePattern('k:1*')).toBe(111)
    await c.clear()
    expect(await c.keys('*')).toEqual([])
    expect((await Promise.all(urls(3).map(dbsize))).every((n) => n === 0)).toBe(true)
  })

  it('keeps {tag} keys together on one node', async () => {
    await flushAll()
    const topology = sharded({ nodes: urls(3) })
    const owner = topology.nodeFor('app:1:{user:7}:profile', 'read')
    for (const k of ['app:1:{user:7}:cart', 'app:1:{user:7}:orders', '{user:7}']) {
      expect(topology.nodeFor(k, 'write')).toBe(owner)
    }
    await topology.close()
  })
})

describe('a shard killed mid-load', () => {
  let victim: RedisDeployment
  let others: RedisDeployment[]
  let c: Cache

  beforeAll(async () => {
    victim = await startRedis()
    others = [servers[0]!, servers[1]!]
    c = createCache({
      topology: sharded({ nodes: [...others.map((s) => s.url), victim.url] }),
      prefix: 'chaos',
      handleErrors: true,
      logErrors: false,
      commandTimeout: 300,
    })
  })
  afterAll(async () => {
    await c.close()
    await victim.stop()
  })

  it('under handleErrors, only the dead shard keys miss, within the deadline, and nothing throws', async () => {
    const all = Array.from({ length: 600 }, (_, i) => `item:${i}`)
    await c.setMany(all.map((k, i) => [k, i] as [string, number]))
    const errors: unknown[] = []
    c.on('error', (e) => errors.push(e))

    await victim.kill(victim.primary)

    // The ring places full keys: `${prefix}:${version}:${key}`.
    const ring = new HashRing([...others.map((s) => s.primary.address), victim.primary.address])
    const ownerIsVictim = (k: string): boolean => ring.nodeFor(`chaos:1:${k}`) === victim.primary.address
    let slowest = 0
    for (let round = 0; round < 5; round++) {
      const started = performance.now()
      const values = await c.getMany(all)
      slowest = Math.max(slowest, performance.now() - started)
      all.forEach((k, i) => {
        if (ownerIsVictim(k)) expect(values[i]).toBeUndefined()
        else expect(values[i]).toBe(i)
      })
      for (const k of all.slice(0, 30)) {
        const t = performance.now()
        const v = await c.get(k)
        slowest = Math.max(slowest, performance.now() - t)
        expect(v).toBe(ownerIsVictim(k) ? undefined : Number(k.split(':')[1]))
        expect(await c.set(k, 1)).toBe(!ownerIsVictim(k))
        await c.set(k, Number(k.split(':')[1]))
      }
    }
    // Deadline: commandTimeout (300 ms) plus generous scheduling slack, never a hang.
    expect(slowest).toBeLessThan(300 + 400)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => isRediskitError(e))).toBe(true)
  })
})

describe('autoEject', () => {
  it('takes a failing node off the ring after N failures and puts it back after retryAfter', async () => {
    const victim = await startRedis()
    const topology = sharded({
      nodes: [servers[0]!.url, victim.url],
      autoEject: { failures: 2, retryAfter: 500 },
      commandTimeout: 300,
    })
    try {
      const victimKey = Array.from({ length: 100 }, (_, i) => `k${i}`).find(
        (k) => topology.nodeFor(k, 'write').id === victim.primary.address,
      )!
      expect(victimKey).toBeDefined()
      await victim.kill(victim.primary)
      for (let i = 0; i < 2; i++) {
        const err = await topology
          .nodeFor(victimKey, 'write')
          .send('SET', [victimKey, 'x'])
          .then(
            () => undefined,
            (e: unknown) => e,
          )
        expect(isRediskitError(err)).toBe(true)
      }
      expect(topology.ejected()).toEqual([victim.primary.address])
      // Remapped to the live node meanwhile.
      expect(await topology.nodeFor(victimKey, 'write').send('SET', [victimKey, 'x'])).toBeTruthy()
      await vitest.vi.waitFor(() => expect(topology.ejected()).toEqual([]), { timeout: 3000, interval: 50 })
      expect(topology.nodeFor(victimKey, 'write').id).toBe(victim.primary.address)
    } finally {
      await topology.close()
      await victim.stop()
    }
  })

  it('rejects bad options with E_CONFIG', () => {
    for (const bad of [
      () => sharded({ nodes: [] }),
      () => sharded({ nodes: ['redis://h:notaport'] }),
      () => sharded({ nodes: ['127.0.0.1:1'], autoEject: { failures: 0 } }),
      () => sharded({ nodes: ['127.0.0.1:1', '127.0.0.1:1'] }),
    ]) {
      let caught: unknown
      try {
        bad()
      } catch (e) {
        caught = e
      }
      expect(isRediskitError(caught, 'E_CONFIG')).toBe(true)
    }
  })
})
