/**
 * Keyv's own published test suite (@keyv/test-suite 2.x, keyv 5): `keyvTestSuite` (API, values,
 * namespaces) and `keyvIteratorTests`, on a real redis-server, for the three ways to build the
 * adapter: from a location (it creates and owns a cache), over an existing rediskit cache, and over
 * a sharded topology of two servers.
 */
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { type Cache, createCache } from '@rediskit/core'
import { sharded } from '@rediskit/sharding'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import Keyv from 'keyv'
import * as vitest from 'vitest'
import { KeyvRediskit } from '../src/index.js'

const { afterAll, beforeAll, describe } = vitest

let redis: RedisDeployment
let shardA: RedisDeployment
let shardB: RedisDeployment
let shared: Cache
const adapters: KeyvRediskit[] = []
const topologies: { close(): Promise<void> }[] = []

beforeAll(async () => {
  ;[redis, shardA, shardB] = await Promise.all([startRedis(), startRedis(), startRedis()])
  shared = createCache({ location: `${redis.url.replace(/\/0$/, '')}/1`, prefix: 'shared' })
})

afterAll(async () => {
  await Promise.all(adapters.map((adapter) => adapter.disconnect()))
  await Promise.all(topologies.map((topology) => topology.close()))
  await shared?.close()
  await Promise.all([redis?.stop(), shardA?.stop(), shardB?.stop()])
})

/** The suite calls the factory for every Keyv it builds; each adapter is disconnected at the end. */
function track(adapter: KeyvRediskit): KeyvRediskit {
  adapters.push(adapter)
  return adapter
}

describe('from a location (the adapter owns its cache)', () => {
  const store = () => track(new KeyvRediskit(redis.url))
  keyvTestSuite(vitest, Keyv, store)
  keyvIteratorTests(vitest, Keyv, store)
})

describe('over an existing rediskit cache (db 1, prefix "shared")', () => {
  const store = () => new KeyvRediskit(shared)
  keyvTestSuite(vitest, Keyv, store)
  keyvIteratorTests(vitest, Keyv, store)
})

describe('over a sharded topology of two servers', () => {
  let topology: ReturnType<typeof sharded> | undefined
  const store = () => {
    if (topology === undefined) {
      topology = sharded({ nodes: [shardA.url, shardB.url] })
      topologies.push(topology)
    }
    return track(new KeyvRediskit({ topology }))
  }
  keyvTestSuite(vitest, Keyv, store)
  keyvIteratorTests(vitest, Keyv, store)
})
