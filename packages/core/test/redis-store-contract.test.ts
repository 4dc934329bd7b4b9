import { type RedisDeployment, startRedis, storeContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { createTopology, MemoryStore, RedisStore } from '../src/index.js'

// The same suite over the three stores proves they agree on every Store method.
let standalone: RedisDeployment | undefined
let replicated: RedisDeployment | undefined
vitest.afterAll(async () => {
  await Promise.all([standalone?.stop(), replicated?.stop()])
})

storeContract(vitest, 'RedisStore (standalone)', async () => {
  standalone ??= await startRedis()
  return { store: new RedisStore(createTopology({ location: standalone.url })) }
})

storeContract(vitest, 'RedisStore (primary + 2 replicas)', async () => {
  replicated ??= await startRedis({ topology: 'replicated', replicas: 2 })
  return { store: new RedisStore(createTopology({ location: [...replicated.urls] })) }
})

storeContract(vitest, 'MemoryStore', async () => ({ store: new MemoryStore() }))
