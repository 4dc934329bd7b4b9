/**
 * A Keyv store on a Redis Cluster (3 primaries + 3 replicas, real redis-server processes) through
 * `cluster()` from @rediskit/cluster: Keyv's published suite passes on it, keys spread over the
 * primaries, and a namespace's clear() and iterator() walk every primary.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { cluster } from '@rediskit/cluster'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import Keyv from 'keyv'
import * as vitest from 'vitest'
import { KeyvRediskit } from '../src/index.js'

const { afterAll, beforeAll, describe, expect, it } = vitest
const run = promisify(execFile)

let redis: RedisDeployment
let topology: ReturnType<typeof cluster>
const adapters: KeyvRediskit[] = []

beforeAll(async () => {
  redis = await startRedis({ topology: 'cluster' })
  topology = cluster({ nodes: redis.addresses })
})

afterAll(async () => {
  await Promise.all(adapters.map((adapter) => adapter.disconnect()))
  await topology?.close()
  await redis?.stop()
})

function store(): KeyvRediskit {
  const adapter = new KeyvRediskit({ topology })
  adapters.push(adapter)
  return adapter
}

/** How many keys matching `pattern` each primary holds (asked with redis-cli, not through rediskit). */
async function keysPerPrimary(pattern: string): Promise<number[]> {
  return Promise.all(
    redis.primaries.map(async (node) => {
      const { stdout } = await run('redis-cli', ['-p', String(node.port), '--scan', '--pattern', pattern])
      return stdout.split('\n').filter((line) => line !== '').length
    }),
  )
}

describe('Keyv test suite on a cluster-backed store', () => {
  keyvTestSuite(vitest, Keyv, store)
  keyvIteratorTests(vitest, Keyv, store)
})

describe('cluster specifics', () => {
  it("spreads a namespace's keys over the primaries; iterator() and clear() walk all of them", async () => {
    const keyv = new Keyv(store(), { namespace: 'spread' })
    const other = new Keyv(store(), { namespace: 'kept' })
    await keyv.setMany(Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: i })))
    await other.set('k', 'kept')
    const spread = await keysPerPrimary('spread:*')
    expect(spread.reduce((a, b) => a + b, 0)).toBe(60)
    expect(spread.every((count) => count > 0)).toBe(true)
    expect(await keyv.get(Array.from({ length: 60 }, (_, i) => `k${i}`))).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    )

    let seen = 0
    for await (const [key, value] of keyv.iterator?.(undefined) ?? []) {
      expect(key).toBe(`k${value as number}`)
      seen++
    }
    expect(seen).toBe(60)

    await keyv.clear()
    expect(await keyv.get(['k0', 'k1', 'k59'])).toEqual([undefined, undefined, undefined])
    expect(await other.get('k')).toBe('kept')
    expect(await keysPerPrimary('spread:*')).toEqual([0, 0, 0])
    expect((await keysPerPrimary('kept:*')).reduce((a, b) => a + b, 0)).toBe(1)
  })
})
