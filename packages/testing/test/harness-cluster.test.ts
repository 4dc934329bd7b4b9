import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisDeployment, type RedisNode, startRedis } from '../src/index.js'
import { info, run } from './harness-support.js'

/** CLUSTER SLOTS as "from-to:port" strings, primaries only. */
async function slotMap(redis: RedisDeployment, node: RedisNode): Promise<string[]> {
  const slots = (await run(redis, node, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number, string]][]
  return slots.map(([from, to, [, port]]) => `${from}-${to}:${port}`).sort()
}

/** A key whose slot lies in the range starting at slot 0. */
async function keyInFirstRange(redis: RedisDeployment, node: RedisNode, below: number): Promise<string> {
  for (let i = 0; ; i++) {
    const slot = Number(await run(redis, node, ['CLUSTER', 'KEYSLOT', `key-${i}`]))
    if (slot < below) return `key-${i}`
  }
}

describe('startRedis() cluster', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis({ topology: 'cluster', password: 'pw' })
  })
  afterAll(() => redis?.stop())

  it('runs 3 primaries and 3 replicas, every node reporting cluster_state:ok and the same slots', async () => {
    expect(redis.primaries).toHaveLength(3)
    expect(redis.replicas).toHaveLength(3)
    expect(redis.primary).toBe(redis.primaries[0])
    expect(redis.nodes).toEqual([...redis.primaries, ...redis.replicas])
    expect(new Set(redis.nodes.map((n) => n.port)).size).toBe(6)
    const expected = await slotMap(redis, redis.primary)
    expect(expected).toHaveLength(3)
    expect(expected[0]).toBe(`0-5460:${redis.primary.port}`)
    for (const node of redis.nodes) {
      expect((await info(redis, node, 'cluster')).get('cluster_enabled')).toBe('1')
      const clusterInfo = String(await run(redis, node, ['CLUSTER', 'INFO']))
      expect(clusterInfo).toContain('cluster_state:ok')
      expect(await slotMap(redis, node)).toEqual(expected)
    }
    for (const replica of redis.replicas) {
      expect((await info(redis, replica, 'replication')).get('master_link_status')).toBe('up')
    }
  })

  it('failover() promotes the replica of primaries[0]; writes to its slots succeed on it', async () => {
    const old = redis.primaries[0]
    if (old === undefined) throw new Error('no primary')
    await redis.failover()
    const primary = redis.primary
    expect(primary).not.toBe(old)
    expect(primary.role).toBe('primary')
    expect(old.role).toBe('replica')
    expect(redis.primaries).toHaveLength(3)
    expect(redis.replicas).toContain(old)
    expect((await info(redis, primary, 'replication')).get('role')).toBe('master')
    expect((await info(redis, old, 'replication')).get('master_port')).toBe(String(primary.port))
    const key = await keyInFirstRange(redis, primary, 5461)
    expect(await run(redis, primary, ['SET', key, 'v'])).toBe('OK')
    for (const node of redis.nodes) {
      expect(String(await run(redis, node, ['CLUSTER', 'INFO']))).toContain('cluster_state:ok')
    }
  })

  it('restart() of a replica resolves once the cluster agrees again and the replica is linked', async () => {
    const replica = redis.replicas[0]
    if (replica === undefined) throw new Error('no replica')
    const port = replica.port
    await redis.kill(replica)
    await redis.restart(replica)
    expect(replica.port).toBe(port)
    expect(String(await run(redis, replica, ['CLUSTER', 'INFO']))).toContain('cluster_state:ok')
    expect((await info(redis, replica, 'replication')).get('master_link_status')).toBe('up')
  })

  it('failover() with the primary killed promotes its replica; restart() brings the old one back as a replica', async () => {
    const old = redis.primary
    await redis.kill(old)
    await redis.failover()
    expect(redis.primary).not.toBe(old)
    expect((await info(redis, redis.primary, 'replication')).get('role')).toBe('master')
    await redis.restart(old)
    expect(old.role).toBe('replica')
    const replication = await info(redis, old, 'replication')
    expect(replication.get('master_port')).toBe(String(redis.primary.port))
    expect(replication.get('master_link_status')).toBe('up')
    for (const node of redis.nodes) {
      expect(String(await run(redis, node, ['CLUSTER', 'INFO']))).toContain('cluster_state:ok')
    }
  })
})
