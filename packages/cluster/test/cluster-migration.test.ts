import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { createCache } from '@rediskit/core'
import { eventually, type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cluster } from '../src/index.js'

let redis: RedisDeployment
beforeAll(async () => {
  redis = await startRedis({ topology: 'cluster' })
}, 60_000)
afterAll(async () => {
  await redis?.stop()
})

/** A plain connection to one node, for the admin commands of a migration. */
function admin(address: string): Redis {
  const [host, port] = address.split(':') as [string, string]
  return new Redis({ host, port: Number(port), maxRetriesPerRequest: 0 })
}

describe('a slot migrated under load', () => {
  it('SETSLOT IMPORTING/MIGRATING + MIGRATE in batches of 10 (what redis-cli --cluster reshard does): every read sees the last write, multi-key commands mid-migration work, nothing fails', async () => {
    const topology = cluster({ nodes: redis.addresses })
    const cache = createCache({ topology, prefix: 'mig' })
    const admins = new Map(redis.primaries.map((p) => [p.address, admin(p.address)]))
    try {
      await topology.ready()
      // 400 keys in one slot (a hash tag), plus 200 elsewhere that must not notice anything.
      const moving = Array.from({ length: 400 }, (_, i) => `{moving}:${i}`)
      const staying = Array.from({ length: 200 }, (_, i) => `still:${i}`)
      const all = [...moving, ...staying]
      // Same slot, not touched by the workers: read and written as a whole mid-migration.
      const fixed = Array.from({ length: 100 }, (_, i) => `{moving}:fixed:${i}`)
      const slot = topology.slotOf(cache.makeKey(moving[0] as string))
      const source = topology.nodeFor(cache.makeKey(moving[0] as string), 'write').id
      const target = redis.primaries.map((p) => p.address).find((address) => address !== source) as string
      await cache.setMany(all.map((key) => [key, 0] as const))
      await cache.setMany(fixed.map((key, i) => [key, `f${i}`] as const))

      // Workers own disjoint keys: each read must return that worker's last write.
      const failures: unknown[] = []
      const wrong: string[] = []
      let rounds = 0
      let running = true
      const workers = Array.from({ length: 4 }, async (_, worker) => {
        const mine = all.filter((_, i) => i % 4 === worker)
        const last = new Map<string, number>(mine.map((key) => [key, 0]))
        let n = 0
        while (running) {
          try {
            const key = mine[n % mine.length] as string
            const value = ++n
            await cache.set(key, value)
            last.set(key, value)
            const read = await cache.get(key)
            if (read !== value) wrong.push(`${key}: read ${String(read)} after writing ${value}`)
            if (n % 10 === 0) {
              const sample = mine.slice(n % 50, (n % 50) + 10)
              const values = await cache.getMany(sample)
              sample.forEach((k, i) => {
                if (values[i] !== last.get(k))
                  wrong.push(`${k}: getMany read ${String(values[i])}, last write ${last.get(k)}`)
              })
            }
            rounds++
          } catch (error) {
            failures.push(error)
          }
          await yieldToEventLoop()
        }
      })
      await eventually('the workers are running', () => rounds > 50)

      const [sourceAdmin, targetAdmin] = [admins.get(source), admins.get(target)] as [Redis, Redis]
      const sourceId = String(await sourceAdmin.call('CLUSTER', 'MYID'))
      const targetId = String(await targetAdmin.call('CLUSTER', 'MYID'))
      const [targetHost, targetPort] = target.split(':') as [string, string]
      await targetAdmin.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId)
      await sourceAdmin.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId)
      let migrated = 0
      let checkedMidway = false
      for (;;) {
        const batch = (await sourceAdmin.call('CLUSTER', 'GETKEYSINSLOT', slot, 10)) as string[]
        if (batch.length === 0) break
        await sourceAdmin.call('MIGRATE', targetHost, targetPort, '', 0, 5000, 'KEYS', ...batch)
        migrated += batch.length
        if (!checkedMidway && migrated >= 250) {
          // Half the slot has moved: multi-key commands over it get TRYAGAIN from Redis (their keys
          // are on two nodes) until the end of the migration. They must still work.
          checkedMidway = true
          const split = await Promise.all([
            sourceAdmin.call('CLUSTER', 'COUNTKEYSINSLOT', slot),
            targetAdmin.call('CLUSTER', 'COUNTKEYSINSLOT', slot),
          ])
          expect(split.map(Number).every((count) => count > 0)).toBe(true)
          expect(await cache.getMany(fixed)).toEqual(fixed.map((_, i) => `f${i}`))
          await cache.setMany(fixed.map((key, i) => [key, `g${i}`] as const))
          expect(await cache.getMany(fixed)).toEqual(fixed.map((_, i) => `g${i}`))
          expect(await cache.deleteMany(fixed.slice(0, 10))).toBe(10)
          expect(await cache.getMany(fixed.slice(0, 12))).toEqual([
            ...new Array(10).fill(undefined),
            'g10',
            'g11',
          ])
        }
        // Let the workers run between batches, as a reshard under traffic would.
        const before = rounds
        await eventually('the workers made progress', () => rounds > before + 2)
      }
      // Hand the slot over: target first, then the source, then everyone else.
      await targetAdmin.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId)
      await sourceAdmin.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId)
      for (const [address, node] of admins) {
        if (address !== source && address !== target)
          await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId)
      }
      const after = rounds
      await eventually('the workers ran on after the handover', () => rounds > after + 100, 10_000)
      running = false
      await Promise.all(workers)

      expect(failures).toEqual([])
      expect(wrong).toEqual([])
      expect(checkedMidway).toBe(true)
      expect(migrated).toBeGreaterThanOrEqual(490)
      // The topology followed the slot to its new primary (MOVED, then a slot-map refresh).
      await eventually(
        'the slot is routed to the target',
        () => topology.nodeFor(cache.makeKey(moving[0] as string), 'write').id === target,
      )
      expect(Number(await targetAdmin.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(490)
      expect(Number(await sourceAdmin.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0)
      const listed = await cache.keys()
      const expected = [...all, ...fixed.slice(10)]
      expect(listed.length).toBe(expected.length)
      expect([...listed].sort()).toEqual([...expected].sort())
      expect((await cache.getMany(moving)).every((value) => typeof value === 'number')).toBe(true)
    } finally {
      for (const node of admins.values()) node.disconnect()
      await cache.close()
      await topology.close()
    }
  }, 60_000)
})
