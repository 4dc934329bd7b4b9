import { inspect } from 'node:util'
import { createCache, isRediskitError } from '@rediskit/core'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cluster } from '../src/index.js'

const PASSWORD = 'cluster-s3cret-pw'

// One cluster with TLS on every port (clients, replication, cluster bus) and an ACL user.
let redis: RedisDeployment
beforeAll(async () => {
  redis = await startRedis({ topology: 'cluster', tls: true, acl: { username: 'app', password: PASSWORD } })
}, 60_000)
afterAll(async () => {
  await redis?.stop()
})

const ca = (): string => {
  if (redis.tls === undefined) throw new Error('the deployment has no TLS material')
  return redis.tls.ca
}

describe('a TLS cluster with an ACL user', () => {
  it('works from a rediss:// URL with credentials and a CA, on every primary', async () => {
    const topology = cluster({ nodes: [redis.url], tls: { ca: ca() } })
    const cache = createCache({ topology, prefix: 'tls' })
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `k${i}`)
      await cache.setMany(keys.map((key, i) => [key, i] as const))
      expect(await cache.getMany(keys)).toEqual(keys.map((_, i) => i))
      expect((await cache.keys()).length).toBe(300)
      expect(topology.primaries()).toHaveLength(3)
      await cache.clear()
    } finally {
      await cache.close()
      await topology.close()
    }
  })

  it('takes credentials from options too (host:port seeds)', async () => {
    const topology = cluster({
      nodes: redis.primaries.map((p) => p.address),
      username: 'app',
      password: PASSWORD,
      tls: { ca: ca() },
    })
    try {
      const driver = topology.nodeFor('k', 'write')
      expect((await driver.send('SET', ['k', 'v']))?.toString()).toBe('OK')
      expect((await topology.nodeFor('k', 'read').send('GET', ['k']))?.toString()).toBe('v')
    } finally {
      await topology.close()
    }
  })

  it('a wrong password fails with E_CONNECTION, in time, without the password anywhere', async () => {
    const wrong = 'not-the-right-pw'
    const topology = cluster({
      nodes: [redis.primary.address],
      username: 'app',
      password: wrong,
      tls: { ca: ca() },
      commandTimeout: 500,
    })
    try {
      const start = performance.now()
      const error = await topology
        .nodeFor('k', 'read')
        .send('GET', ['k'])
        .catch((e: unknown) => e)
      expect(performance.now() - start).toBeLessThan(900)
      expect(isRediskitError(error, 'E_CONNECTION')).toBe(true)
      expect((error as Error).message).toMatch(/authentication .* failed: WRONGPASS/)
      const text = `${(error as Error).message} ${inspect(error, { depth: 10 })} ${inspect(topology)}`
      expect(text).not.toContain(wrong)
      expect(text).not.toContain(PASSWORD)
    } finally {
      await topology.close()
    }
  })

  it('a server certificate that is not trusted fails with E_CONNECTION and says so', async () => {
    const topology = cluster({ nodes: [redis.url], commandTimeout: 500 })
    try {
      const error = await topology
        .nodeFor('k', 'read')
        .send('GET', ['k'])
        .catch((e: unknown) => e)
      expect(isRediskitError(error, 'E_CONNECTION')).toBe(true)
      expect((error as Error).message).toMatch(/certificate/)
      expect((error as Error).message).not.toContain(PASSWORD)
    } finally {
      await topology.close()
    }
  })
})
