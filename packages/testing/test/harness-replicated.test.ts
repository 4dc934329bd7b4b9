import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type RedisDeployment, startRedis } from '../src/index.js'
import { info, run } from './harness-support.js'

describe('startRedis() replicated', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis({ topology: 'replicated', replicas: 2, password: 'pw' })
  })
  afterAll(() => redis?.stop())

  it('resolves with every replica linked to the primary', async () => {
    const { primary, replicas } = redis
    expect(redis.topology).toBe('replicated')
    expect(replicas).toHaveLength(2)
    expect(redis.nodes).toEqual([primary, ...replicas])
    expect(redis.urls).toEqual([primary.url, ...replicas.map((r) => r.url)])
    expect(redis.addresses).toEqual([primary.address, ...replicas.map((r) => r.address)])
    expect(new Set(redis.nodes.map((n) => n.dir)).size).toBe(3)
    for (const replica of replicas) {
      expect(replica.role).toBe('replica')
      const replication = await info(redis, replica, 'replication')
      expect(replication.get('master_link_status')).toBe('up')
      expect(replication.get('master_port')).toBe(String(primary.port))
    }
    expect((await info(redis, primary, 'replication')).get('connected_slaves')).toBe('2')
  })

  it('replicates writes (the password is also masterauth)', async () => {
    expect(await run(redis, redis.primary, ['SET', 'replicated', '1'])).toBe('OK')
    for (const replica of redis.replicas) {
      await vi.waitFor(async () => expect(await run(redis, replica, ['GET', 'replicated'])).toBe('1'), {
        timeout: 10_000,
      })
    }
  })

  it('restart() of a replica resolves once its link is up again', async () => {
    const replica = redis.replicas[0]
    if (replica === undefined) throw new Error('no replica')
    await redis.kill(replica)
    await redis.restart(replica)
    expect((await info(redis, replica, 'replication')).get('master_link_status')).toBe('up')
  })

  it('restart() of the primary resolves once every replica is linked again', async () => {
    const { primary } = redis
    const port = primary.port
    await redis.restart(primary)
    expect(primary.port).toBe(port)
    for (const replica of redis.replicas) {
      expect((await info(redis, replica, 'replication')).get('master_link_status')).toBe('up')
    }
  })

  it('a paused replica does not answer, and answers again after resume()', async () => {
    const replica = redis.replicas[1]
    if (replica === undefined) throw new Error('no replica')
    await redis.pause(replica)
    await expect(run(redis, replica, ['PING'], { timeout: 200 })).rejects.toThrow(/no reply/)
    await expect(redis.pause(replica)).rejects.toMatchObject({ code: 'E_HARNESS_STATE' })
    await redis.resume(replica)
    expect(await run(redis, replica, ['PING'])).toBe('PONG')
  })

  it('failover() needs sentinel or cluster', async () => {
    await expect(redis.failover()).rejects.toThrow(/needs topology 'sentinel' or 'cluster'/)
  })
})
