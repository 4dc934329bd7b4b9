import { randomUUID } from 'node:crypto'
import { inspect } from 'node:util'
import { type Cache, createCache, isRediskitError, RedisStore } from '@rediskit/core'
import {
  eventually,
  type RedisDeployment,
  startRedis,
  storeContract,
  topologyContract,
} from '@rediskit/testing'
import { Cluster, Redis } from 'ioredis'
import * as vitest from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClusterOptions, type ClusterTopology, cluster } from '../src/index.js'
import { replicasListed } from './support/slot-map.js'

// One 3-primary / 3-replica cluster for the whole file.
let redis: RedisDeployment
beforeAll(async () => {
  redis = await startRedis({ topology: 'cluster' })
}, 60_000)
afterAll(async () => {
  await redis?.stop()
})

/**
 * A topology on the file's cluster, seeded with one node (the rest is discovered). The contract
 * suites send thousands of single-slot commands at once (2500 keys are ~2400 slots); on a loaded
 * 2-core machine running several clusters that can take longer than the default 1 s deadline, which
 * is not what these tests are about (the deadline tests are in cluster-failover.test.ts).
 */
const topologyOf = (options: Omit<ClusterOptions, 'nodes' | 'client'> = {}): ClusterTopology =>
  cluster({ nodes: [redis.addresses[0] as string], commandTimeout: 10_000, ...options })

topologyContract(vitest, 'cluster', async () => ({ topology: topologyOf() }), { oneGroupPerDriver: false })

topologyContract(
  vitest,
  'cluster, scaleReads: slave',
  async () => ({
    topology: cluster({ nodes: redis.addresses, scaleReads: 'slave', commandTimeout: 10_000 }),
  }),
  { oneGroupPerDriver: false, laggingReads: true },
)

storeContract(vitest, 'RedisStore (cluster)', async () => ({ store: new RedisStore(topologyOf()) }))

/** A fresh connection to one node, for looking behind the topology's back. */
async function onNode<T>(address: string, fn: (node: Redis) => Promise<T>): Promise<T> {
  const [host, port] = address.split(':') as [string, string]
  const node = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    return await fn(node)
  } finally {
    node.disconnect()
  }
}

/** `cmdstat_get` calls of one node. */
async function getCalls(address: string): Promise<number> {
  const info = await onNode(address, (node) => node.info('commandstats'))
  return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0)
}

describe('a cache on the cluster', () => {
  const opened: { close(): Promise<void> }[] = []
  const track = <T extends { close(): Promise<void> }>(thing: T): T => {
    opened.push(thing)
    return thing
  }
  afterAll(async () => {
    for (const thing of opened.reverse()) await thing.close()
  })
  const cacheOn = (topology: ClusterTopology, prefix = `c${randomUUID().slice(0, 8)}`): Cache =>
    track(createCache({ topology: track(topology), prefix, commandTimeout: 10_000 }))

  it('getMany / setMany / deleteMany over 1000 random keys: no CROSSSLOT, caller order kept', async () => {
    const topology = topologyOf()
    const cache = cacheOn(topology)
    const keys: string[] = Array.from({ length: 1000 }, () => randomUUID())
    const slots = new Set(keys.map((key) => topology.slotOf(cache.makeKey(key))))
    expect(slots.size).toBeGreaterThan(900)
    expect(await cache.setMany(keys.map((key, i) => [key, { i, key }] as const))).toBe(true)
    const shuffled: string[] = [...keys].reverse()
    shuffled.splice(10, 0, 'missing-1', keys[3] as string, 'missing-2')
    const values = await cache.getMany(shuffled)
    expect(values).toEqual(
      shuffled.map((key) => (key.startsWith('missing') ? undefined : { i: keys.indexOf(key), key })),
    )
    // Every primary holds a share.
    const owners = new Set(keys.map((key) => topology.nodeFor(cache.makeKey(key), 'write').id))
    expect([...owners].sort()).toEqual([...redis.primaries.map((p) => p.address)].sort())
    expect(
      await cache.setMany(
        keys.slice(0, 100).map((key) => [key, 1] as const),
        60_000,
      ),
    ).toBe(true)
    const ttls = await Promise.all(keys.slice(0, 100).map((key) => cache.ttl(key)))
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(50_000)
    expect(await cache.deleteMany([...keys, 'missing-1', keys[0] as string])).toBe(1000)
    expect(await cache.getMany(keys.slice(0, 50))).toEqual(new Array(50).fill(undefined))
  })

  it('keys / scan / deletePattern / clear walk every primary, list each key once, stay in the prefix', async () => {
    const topology = topologyOf()
    const mine = cacheOn(topology, 'mine')
    const other = cacheOn(topology, 'other')
    const keys = Array.from({ length: 600 }, (_, i) => `item:${i}`)
    await mine.setMany(keys.map((key, i) => [key, i] as const))
    await other.setMany(keys.map((key, i) => [key, i] as const))
    const listed = await mine.keys()
    expect(listed.length).toBe(600)
    expect(new Set(listed).size).toBe(600)
    expect([...listed].sort()).toEqual([...keys].sort())
    const scanned: string[] = []
    for await (const key of mine.scan('item:1*', { count: 50 })) scanned.push(key)
    expect(scanned.sort()).toEqual(keys.filter((key) => key.startsWith('item:1')).sort())
    expect(await mine.deletePattern('item:2*')).toBe(keys.filter((key) => key.startsWith('item:2')).length)
    expect((await mine.keys('item:2*')).length).toBe(0)
    await mine.clear()
    expect(await mine.keys()).toEqual([])
    // The other prefix was not touched.
    expect((await other.keys()).length).toBe(600)
    expect(await other.get('item:599')).toBe(599)
    await other.clear()
  })

  it('keys() and clear() as the very first operations (before the slot map is known) still cover every primary', async () => {
    const prefix = `fresh${randomUUID().slice(0, 6)}`
    const writer = cacheOn(topologyOf(), prefix)
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`)
    await writer.setMany(keys.map((key) => [key, 1] as const))

    const fresh = topologyOf()
    expect(fresh.primaries().map((driver) => driver.id)).toEqual(['cluster'])
    expect(fresh.nodeFor('x', 'write').id).toBe('cluster')
    const reader = cacheOn(fresh, prefix)
    expect((await reader.keys()).sort()).toEqual([...keys].sort())
    expect([...fresh.primaries().map((driver) => driver.id)].sort()).toEqual(
      [...redis.primaries.map((p) => p.address)].sort(),
    )

    const clearer = cacheOn(topologyOf(), prefix)
    await clearer.clear()
    expect(await writer.keys()).toEqual([])

    // flush() through the not-yet-connected topology reaches every primary too.
    await writer.setMany(keys.map((key) => [key, 1] as const))
    const store = track(new RedisStore(topologyOf()))
    await store.flush()
    expect(await writer.getMany(keys)).toEqual(new Array(keys.length).fill(undefined))
  })

  it('{hash tags} keep keys in one slot: one group, one MGET', async () => {
    const topology = topologyOf()
    const cache = cacheOn(topology, 'tags')
    const keys = Array.from({ length: 50 }, (_, i) => `{user:42}:field:${i}`)
    const stored = keys.map((key) => cache.makeKey(key))
    const slots = new Set(stored.map((key) => topology.slotOf(key)))
    expect(slots.size).toBe(1)
    expect(topology.slotOf('{user:42}')).toBe([...slots][0])
    expect(topology.group(stored, 'read')).toHaveLength(1)
    await cache.setMany(keys.map((key, i) => [key, i] as const))
    expect(await cache.getMany(keys)).toEqual(keys.map((_, i) => i))
    // A multi-key command over the tagged keys works as one command.
    const reply = await topology.nodeFor(stored[0] as string, 'read').send('MGET', stored)
    expect(Array.isArray(reply) && reply.length).toBe(50)
    // Without a tag the same keys spread over slots.
    expect(
      topology.group(
        keys.map((_, i) => `user:42:field:${i}`),
        'read',
      ).length,
    ).toBeGreaterThan(1)
  })

  it("scaleReads: 'slave' serves reads from replicas; a 'write' driver and writes use the primary", async () => {
    const topology = topologyOf({ scaleReads: 'slave' })
    const cache = cacheOn(topology, 'replica-reads')
    const keys = Array.from({ length: 100 }, (_, i) => `r${i}`)
    await cache.setMany(keys.map((key, i) => [key, i] as const))
    await replicasListed(topology)
    await eventually('the replicas have the values', async () => {
      const values = await cache.getMany(keys)
      return values.every((value, i) => value === i)
    })
    const before = await Promise.all(redis.nodes.map((node) => getCalls(node.address)))
    for (const key of keys) expect(await cache.get(key)).toBe(keys.indexOf(key))
    const after = await Promise.all(redis.nodes.map((node) => getCalls(node.address)))
    const delta = redis.nodes.map((node, i) => ({
      role: node.role,
      calls: (after[i] ?? 0) - (before[i] ?? 0),
    }))
    expect(delta.filter((d) => d.role === 'primary').reduce((sum, d) => sum + d.calls, 0)).toBe(0)
    expect(delta.filter((d) => d.role === 'replica').reduce((sum, d) => sum + d.calls, 0)).toBe(100)

    // Reads through a write driver go to the primary.
    const key = cache.makeKey('r1')
    const writer = topology.nodeFor(key, 'write')
    const primaryBefore = await getCalls(writer.id)
    expect((await writer.send('GET', [key]))?.toString()).toBe('1')
    expect(await getCalls(writer.id)).toBe(primaryBefore + 1)
  })

  it("scaleReads: 'all' spreads reads over primaries and replicas", async () => {
    const topology = topologyOf({ scaleReads: 'all' })
    const cache = cacheOn(topology, 'all-reads')
    const keys = Array.from({ length: 200 }, (_, i) => `a${i}`)
    await cache.setMany(keys.map((key, i) => [key, i] as const))
    await replicasListed(topology)
    await eventually('the replicas have the values', async () =>
      (await cache.getMany(keys)).every((value, i) => value === i),
    )
    const before = await Promise.all(redis.nodes.map((node) => getCalls(node.address)))
    for (const key of keys) await cache.get(key)
    const after = await Promise.all(redis.nodes.map((node) => getCalls(node.address)))
    const byRole = (role: string): number =>
      redis.nodes.reduce(
        (sum, node, i) => sum + (node.role === role ? (after[i] ?? 0) - (before[i] ?? 0) : 0),
        0,
      )
    expect(byRole('primary')).toBeGreaterThan(0)
    expect(byRole('replica')).toBeGreaterThan(0)
    expect(byRole('primary') + byRole('replica')).toBe(200)
  })

  it('uses your own ioredis Cluster and never closes it', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: redis.primary.port }], { lazyConnect: true })
    try {
      const topology = cluster({ client })
      expect(topology.client).toBe(client)
      const cache = createCache({ topology, prefix: 'own' })
      await cache.set('k', { v: 1 })
      expect(await cache.get('k')).toEqual({ v: 1 })
      expect(await cache.keys()).toEqual(['k'])
      await cache.close()
      await topology.close()
      expect(client.status).toBe('ready')
      expect(await client.exists('own:1:k')).toBe(1)
      await expect(topology.nodeFor('x', 'read').send('GET', ['x'])).rejects.toMatchObject({
        code: 'E_CLOSED',
      })
    } finally {
      await client.quit()
    }
  })

  it('a Cluster closed by its owner makes commands fail with E_CLOSED', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: redis.primary.port }])
    const topology = cluster({ client, commandTimeout: 500 })
    await topology.nodeFor('k', 'write').send('SET', ['k', '1'])
    await client.quit()
    await eventually('the client ended', () => client.status === 'end')
    await expect(topology.nodeFor('k', 'read').send('GET', ['k'])).rejects.toMatchObject({ code: 'E_CLOSED' })
    await topology.close()
  })

  it('maps error replies to E_REDIS and keeps failing commands of a batch in place', async () => {
    const topology = topologyOf()
    track(topology)
    const key = `{e}${randomUUID()}`
    const driver = topology.nodeFor(key, 'write')
    await driver.send('SET', [key, 'text'])
    const error = await driver.send('INCR', [key]).catch((e: unknown) => e)
    expect(isRediskitError(error, 'E_REDIS')).toBe(true)
    expect((error as Error).message).toMatch(/not an integer/)
    expect((error as { details?: { node?: string } }).details?.node).toBe(driver.id)
    const results = await driver.batch([
      ['SET', key, '5'],
      ['HGET', key, 'f'],
      ['INCR', key],
    ])
    expect(results[0]?.toString()).toBe('OK')
    expect(results[1]).toBeInstanceOf(Error)
    expect(results[2]).toBe(6)
  })

  it('prints no password and names the seeds', () => {
    const topology = cluster({ nodes: ['redis://:s3cret-pw@127.0.0.1:7000'] })
    const text = inspect(topology, { depth: 5, showHidden: true })
    expect(text).toContain('127.0.0.1:7000')
    expect(text).not.toContain('s3cret-pw')
    expect(JSON.stringify(topology)).not.toContain('s3cret-pw')
    expect(inspect(topology.nodeFor('k', 'read'))).not.toContain('s3cret-pw')
    return topology.close()
  })
})
