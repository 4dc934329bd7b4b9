import { eventually, type RedisDeployment, startRedis, topologyContract } from '@rediskit/testing'
import type { Redis } from 'ioredis'
import * as vitest from 'vitest'
import { createTopology, RedisStore, SentinelTopology } from '../src/index.js'

const { afterAll, describe, expect, it } = vitest

let redis: RedisDeployment | undefined
const deployment = async (): Promise<RedisDeployment> => {
  redis ??= await startRedis({ topology: 'sentinel', replicas: 1 })
  return redis
}
const sentinelOptions = async () => {
  const d = await deployment()
  return { sentinels: d.sentinels.map((node) => node.address), name: d.masterName ?? 'mymaster' }
}
afterAll(async () => {
  await redis?.stop()
})

topologyContract(vitest, 'sentinel', async () => ({ topology: createTopology(await sentinelOptions()) }))

topologyContract(
  vitest,
  'sentinel, reads from a replica',
  async () => ({ topology: createTopology({ ...(await sentinelOptions()), readFrom: 'replica' }) }),
  { laggingReads: true },
)

describe('sentinel failover', () => {
  it('after a failover, writes succeed again without restarting the process', async () => {
    const d = await deployment()
    const topology = createTopology({ ...(await sentinelOptions()), commandTimeout: 1000 })
    expect(topology).toBeInstanceOf(SentinelTopology)
    const store = new RedisStore(topology)
    try {
      expect(await store.set('failover:before', Buffer.from('1'))).toBe(true)
      const oldPrimary = d.primary.address
      await d.failover()
      expect(d.primary.address).not.toBe(oldPrimary)
      await eventually(
        'a write succeeds on the new primary',
        async () => store.set('failover:after', Buffer.from('2')),
        20_000,
        50,
      )
      expect(await store.get('failover:before')).toEqual(Buffer.from('1'))
      expect(await store.get('failover:after')).toEqual(Buffer.from('2'))
      // The same ioredis instance now talks to the new primary.
      const client = topology.client as Redis
      expect(`127.0.0.1:${client.stream.remotePort}`).toBe(d.primary.address)
    } finally {
      await store.close()
    }
  })
})
