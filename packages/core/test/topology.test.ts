import { inspect } from 'node:util'
import { eventually, type RedisDeployment, type RedisNode, startRedis } from '@rediskit/testing'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ConnectionOptions,
  createTopology,
  ioredisDriver,
  isRediskitError,
  RedisStore,
  ReplicatedTopology,
  SentinelTopology,
  StandaloneTopology,
} from '../src/index.js'

function configError(options: ConnectionOptions): string {
  try {
    const topology = createTopology(options)
    void topology.close()
  } catch (error) {
    expect(isRediskitError(error, 'E_CONFIG'), String(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected E_CONFIG')
}

describe('createTopology: choosing and validating', () => {
  it('one location -> standalone; several -> replicated; sentinels -> sentinel; nothing connects', async () => {
    const one = createTopology({ location: 'redis://127.0.0.1:1/0' })
    expect(one).toBeInstanceOf(StandaloneTopology)
    expect(one.kind).toBe('standalone')
    const list = createTopology({
      location: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
      readFrom: 'replica',
    })
    expect(list).toBeInstanceOf(ReplicatedTopology)
    expect(list.kind).toBe('replicated')
    expect((list as ReplicatedTopology).readFrom).toBe('replica')
    const comma = createTopology({ location: '127.0.0.1:1,127.0.0.1:2' })
    expect(comma.kind).toBe('replicated')
    const sentinel = createTopology({ sentinels: ['127.0.0.1:1', { host: '127.0.0.1', port: 2 }], name: 'm' })
    expect(sentinel).toBeInstanceOf(SentinelTopology)
    expect(sentinel.kind).toBe('sentinel')
    for (const topology of [one, list, comma, sentinel]) {
      const client = topology.client as Redis
      expect(client.status).toBe('wait')
      await topology.close()
    }
  })

  it('sentinel addresses: host:port strings or objects; 26379 when the port is left out', async () => {
    const topology = createTopology({
      sentinels: ['10.0.0.1', '10.0.0.2:26380', '[::1]', { host: '10.0.0.3', port: 7 }],
      name: 'm',
    })
    const client = topology.client as Redis
    expect(client.options.sentinels).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26379 },
      { host: '10.0.0.3', port: 7 },
    ])
    expect(client.options.name).toBe('m')
    await topology.close()
  })

  it('topology.client exposes the ioredis instances', async () => {
    const replicated = createTopology({
      location: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
    }) as ReplicatedTopology
    expect(replicated.client).toBeInstanceOf(Redis)
    expect((replicated.client as Redis).options.port).toBe(1)
    expect(replicated.replicaClients.map((client) => (client as Redis).options.port)).toEqual([2, 3])
    await replicated.close()
  })

  it('rejects missing, conflicting and invalid options with E_CONFIG', () => {
    expect(configError({})).toMatch(/no Redis to connect to/)
    expect(configError({ location: 'h:1', client: new Redis({ lazyConnect: true }) })).toMatch(
      /only one of client, sentinels and location \(got client and location\)/,
    )
    expect(configError({ sentinels: ['h:26379'] })).toMatch(/master name/)
    expect(configError({ sentinels: [], name: 'm' })).toMatch(/sentinels is empty/)
    expect(configError({ location: 'h:1', readFrom: 'nearest' as 'replica' })).toMatch(/readFrom 'nearest'/)
    expect(configError({ location: 'h:1', commandTimeout: 0 })).toMatch(/commandTimeout must be a positive/)
    expect(configError({ location: 'h:1', connectTimeout: Number.NaN })).toMatch(/connectTimeout/)
    expect(configError({ location: 'h:1', db: -1 })).toMatch(/db must be/)
    expect(configError({ location: 'redis://:S3cr3t-x@h:port' })).not.toContain('S3cr3t-x')
    expect(configError({ client: { get: () => 1 } })).toMatch(/ioredis Redis instance/)
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true })
    expect(configError({ client: cluster })).toMatch(/@rediskit\/cluster/)
    cluster.disconnect()
  })

  it('inspect of topologies and stores never shows a password', async () => {
    const secret = 'Hidden-Pw-42'
    const topologies = [
      createTopology({ location: `redis://app:${secret}@127.0.0.1:1/0` }),
      createTopology({ location: [`redis://:${secret}@127.0.0.1:1`, `redis://:${secret}@127.0.0.1:2`] }),
      createTopology({ sentinels: ['127.0.0.1:1'], name: 'm', password: secret, sentinelPassword: secret }),
    ]
    for (const topology of topologies) {
      const store = new RedisStore(topology)
      for (const text of [
        inspect(topology),
        inspect(topology, { showHidden: true, depth: 8 }),
        inspect(store, { depth: 8 }),
        inspect(store, { showHidden: true, depth: 8 }),
        inspect(topology.primaries(), { depth: 8 }),
        inspect(topology.nodeFor('k', 'read'), { depth: 8 }),
        JSON.stringify(topology.primaries()),
      ]) {
        expect(text).not.toContain(secret)
      }
      await store.close()
    }
  })
})

describe('createTopology({ client })', () => {
  it('wraps an existing ioredis instance and never closes it', async () => {
    await using redis = await startRedis()
    const client = new Redis(redis.primary.port, '127.0.0.1')
    const topology = createTopology({ client })
    expect(topology.kind).toBe('standalone')
    expect(topology.client).toBe(client)
    const store = new RedisStore(topology)
    await store.set('client:k', Buffer.from('v'))
    expect(await store.get('client:k')).toEqual(Buffer.from('v'))
    await store.close()
    expect(client.status).toBe('ready')
    expect(await client.get('client:k')).toBe('v')
    await client.quit()
  })
})

/** GET calls a node has served, from INFO commandstats. */
async function getCalls(node: RedisNode): Promise<number> {
  const client = new Redis(node.port, node.host, { lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    const info = await client.info('commandstats')
    const match = /cmdstat_get:calls=(\d+)/.exec(info)
    const mget = /cmdstat_mget:calls=(\d+)/.exec(info)
    return Number(match?.[1] ?? 0) + Number(mget?.[1] ?? 0)
  } finally {
    client.disconnect()
  }
}

describe('replicated: routing and replica failures', () => {
  let redis: RedisDeployment
  const keys = Array.from({ length: 50 }, (_, i) => `rep:${i}`)
  beforeAll(async () => {
    redis = await startRedis({ topology: 'replicated', replicas: 2 })
    const primary = ioredisDriver(redis.url)
    await primary.batch(keys.map((key) => ['SET', key, `v:${key}`]))
    await primary.close()
    // Wait until both replicas have every key.
    for (const replica of redis.replicas) {
      const driver = ioredisDriver(replica.url)
      await eventually(`replica ${replica.address} caught up`, async () => {
        const values = await driver.send('MGET', keys)
        return Array.isArray(values) && values.every((value) => value !== null)
      })
      await driver.close()
    }
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it("readFrom 'primary' reads only the primary; writes always go to the primary", async () => {
    const before = await Promise.all(redis.replicas.map(getCalls))
    const store = new RedisStore(createTopology({ location: [...redis.urls] }))
    for (const key of keys) expect((await store.get(key))?.toString()).toBe(`v:${key}`)
    await store.getMany(keys)
    expect(await Promise.all(redis.replicas.map(getCalls))).toEqual(before)
    await store.close()
  })

  it("readFrom 'replica' spreads reads over the replicas; writes go to the primary", async () => {
    const before = await Promise.all(redis.replicas.map(getCalls))
    const store = new RedisStore(createTopology({ location: [...redis.urls], readFrom: 'replica' }))
    for (const key of keys) expect((await store.get(key))?.toString()).toBe(`v:${key}`)
    const after = await Promise.all(redis.replicas.map(getCalls))
    after.forEach((calls, i) => {
      expect(calls).toBeGreaterThan(before[i] ?? 0)
    })
    expect(await store.set('rep:written', Buffer.from('w'))).toBe(true)
    const primary = ioredisDriver(redis.url)
    expect(await primary.send('GET', ['rep:written'])).toEqual(Buffer.from('w'))
    await primary.close()
    await store.close()
  })

  it("'prefer-replica': a frozen replica costs no failed read (retried on the primary, then skipped)", async () => {
    const frozen = redis.replicas[0] as RedisNode
    const store = new RedisStore(
      createTopology({ location: [...redis.urls], readFrom: 'prefer-replica', commandTimeout: 300 }),
    )
    try {
      await store.get('rep:0')
      await redis.pause(frozen)
      for (const key of keys.slice(0, 10)) expect((await store.get(key))?.toString()).toBe(`v:${key}`)
      expect((await store.getMany(keys)).map(String)).toEqual(keys.map((key) => `v:${key}`))
    } finally {
      await redis.resume(frozen)
      await store.close()
    }
  })

  it('a replica killed under a read loop costs zero failed reads; it is used again once back', async () => {
    const [victim, survivor] = redis.replicas as [RedisNode, RedisNode]
    const topology = new ReplicatedTopology(
      ioredisDriver(redis.url, { commandTimeout: 2000 }),
      redis.replicas.map((node) => ioredisDriver(node.url, { commandTimeout: 2000 })),
      { readFrom: 'replica', replicaBackoff: 200 },
    )
    const store = new RedisStore(topology)
    const failures: unknown[] = []
    let reads = 0
    let stop = false
    const loop = async (worker: number): Promise<void> => {
      while (!stop) {
        const i = (reads + worker) % keys.length
        try {
          if (i % 5 === 0) {
            const values = await store.getMany(keys.slice(i, i + 5))
            if (values.some((value, j) => value?.toString() !== `v:${keys[i + j]}`))
              failures.push(`getMany ${i}`)
          } else {
            const value = await store.get(keys[i] as string)
            if (value?.toString() !== `v:${keys[i]}`) failures.push(`get ${i}: ${String(value)}`)
          }
        } catch (error) {
          failures.push(error)
        }
        reads++
      }
    }
    const loops = Array.from({ length: 8 }, (_, worker) => loop(worker))
    try {
      await eventually('reads are flowing', () => reads > 200)
      await redis.kill(victim)
      const atKill = reads
      const survivorBefore = await getCalls(survivor)
      await eventually('reads go on after the kill', () => reads > atKill + 1000, 15_000)
      // 'replica' mode: the surviving replica took over the reads, not the primary alone.
      expect(await getCalls(survivor)).toBeGreaterThan(survivorBefore)
      await redis.restart(victim)
      await eventually(
        'the restarted replica serves reads again',
        async () => (await getCalls(victim)) > 0,
        15_000,
      )
    } finally {
      stop = true
      await Promise.all(loops)
      await store.close()
    }
    expect(failures).toEqual([])
    expect(reads).toBeGreaterThan(1200)
  })
})
