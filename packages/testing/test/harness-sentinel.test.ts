import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisDeployment, startRedis } from '../src/index.js'
import { info, run } from './harness-support.js'

function fields(reply: unknown): Map<string, string> {
  const list = reply as string[]
  const map = new Map<string, string>()
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), String(list[i + 1]))
  return map
}

describe('startRedis() sentinel', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis({
      topology: 'sentinel',
      replicas: 2,
      acl: { username: 'app', password: 'pw' },
      masterName: 'cache',
    })
  })
  afterAll(() => redis?.stop())

  it('resolves when every sentinel knows the primary, both replicas and the other sentinels', async () => {
    expect(redis.masterName).toBe('cache')
    expect(redis.sentinels).toHaveLength(3)
    expect(redis.replicas).toHaveLength(2)
    expect(redis.nodes).toEqual([redis.primary, ...redis.replicas, ...redis.sentinels])
    expect(redis.urls).toHaveLength(3)
    for (const sentinel of redis.sentinels) {
      expect(sentinel.role).toBe('sentinel')
      expect(sentinel.socket).toBeUndefined()
      const master = fields(await run(redis, sentinel, ['SENTINEL', 'MASTER', 'cache']))
      expect(master.get('port')).toBe(String(redis.primary.port))
      expect(master.get('flags')).toBe('master')
      expect(master.get('num-slaves')).toBe('2')
      expect(master.get('num-other-sentinels')).toBe('2')
      expect(master.get('quorum')).toBe('2')
    }
  })

  it('applies the ACL user to sentinels too', async () => {
    const sentinel = redis.sentinels[0]
    if (sentinel === undefined) throw new Error('no sentinel')
    await expect(run(redis, sentinel, ['PING'], { auth: null })).rejects.toThrow(/NOAUTH/)
    expect(await run(redis, sentinel, ['PING'])).toBe('PONG')
  })

  it('failover() promotes a replica; every sentinel reports it and writes succeed on it', async () => {
    const old = redis.primary
    await redis.failover()
    const primary = redis.primary
    expect(primary).not.toBe(old)
    expect(primary.role).toBe('primary')
    expect(old.role).toBe('replica')
    expect(redis.replicas).toContain(old)
    expect(redis.nodes[0]).toBe(primary)
    for (const sentinel of redis.sentinels) {
      const addr = await run(redis, sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'cache'])
      expect(addr).toEqual(['127.0.0.1', String(primary.port)])
    }
    expect((await info(redis, primary, 'replication')).get('role')).toBe('master')
    expect(await run(redis, primary, ['SET', 'after-failover', '1'])).toBe('OK')
    for (const replica of redis.replicas) {
      const replication = await info(redis, replica, 'replication')
      expect(replication.get('master_port')).toBe(String(primary.port))
      expect(replication.get('master_link_status')).toBe('up')
    }
  })

  it('restart() of a sentinel resolves once it knows the current primary', async () => {
    const sentinel = redis.sentinels[1]
    if (sentinel === undefined) throw new Error('no sentinel')
    await redis.restart(sentinel)
    const addr = await run(redis, sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'cache'])
    expect(addr).toEqual(['127.0.0.1', String(redis.primary.port)])
  })

  it('failover() with the primary killed; restart() brings the old primary back as a replica', async () => {
    const old = redis.primary
    await redis.kill(old)
    await redis.failover()
    const primary = redis.primary
    expect(primary).not.toBe(old)
    expect(await run(redis, primary, ['SET', 'after-kill', '1'])).toBe('OK')
    await redis.restart(old)
    expect(old.role).toBe('replica')
    const replication = await info(redis, old, 'replication')
    expect(replication.get('master_port')).toBe(String(primary.port))
    expect(replication.get('master_link_status')).toBe('up')
  })
})
