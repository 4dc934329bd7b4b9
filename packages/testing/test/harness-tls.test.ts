import { describe, expect, it } from 'vitest'
import { startRedis } from '../src/index.js'
import { info, run } from './harness-support.js'

describe('startRedis() TLS across topologies', () => {
  it('cluster: TLS on clients, replication and the bus, with an ACL user (redis-cli gets --tls and --user)', async () => {
    await using redis = await startRedis({
      topology: 'cluster',
      tls: true,
      acl: { username: 'app', password: 'pw' },
    })
    expect(redis.url).toMatch(/^rediss:\/\/app:pw@127\.0\.0\.1:\d+\/0$/)
    for (const node of redis.nodes) {
      expect(await run(redis, node, ['CONFIG', 'GET', 'tls-cluster'])).toEqual(['tls-cluster', 'yes'])
      expect(String(await run(redis, node, ['CLUSTER', 'INFO']))).toContain('cluster_state:ok')
    }
    for (const replica of redis.replicas) {
      expect((await info(redis, replica, 'replication')).get('master_link_status')).toBe('up')
    }
  })

  it('sentinel: sentinels reach the nodes and each other over TLS, and fail over', async () => {
    await using redis = await startRedis({ topology: 'sentinel', replicas: 1, tls: true, password: 'pw' })
    const old = redis.primary
    for (const sentinel of redis.sentinels) {
      const addr = await run(redis, sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'])
      expect(addr).toEqual(['127.0.0.1', String(old.port)])
    }
    await redis.failover()
    expect(redis.primary).not.toBe(old)
    expect(await run(redis, redis.primary, ['SET', 'k', 'v'])).toBe('OK')
  })
})
