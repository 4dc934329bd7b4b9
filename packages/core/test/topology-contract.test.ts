import { type RedisDeployment, startRedis, topologyContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { createTopology } from '../src/index.js'

let standalone: RedisDeployment | undefined
let replicated: RedisDeployment | undefined
vitest.afterAll(async () => {
  await Promise.all([standalone?.stop(), replicated?.stop()])
})

topologyContract(vitest, 'standalone', async () => {
  standalone ??= await startRedis()
  return { topology: createTopology({ location: standalone.url }) }
})

topologyContract(vitest, 'replicated, reads from the primary', async () => {
  replicated ??= await startRedis({ topology: 'replicated', replicas: 2 })
  return { topology: createTopology({ location: [...replicated.urls] }) }
})

topologyContract(
  vitest,
  'replicated, reads from the replicas',
  async () => {
    replicated ??= await startRedis({ topology: 'replicated', replicas: 2 })
    return { topology: createTopology({ location: [...replicated.urls], readFrom: 'replica' }) }
  },
  { laggingReads: true },
)

topologyContract(
  vitest,
  'replicated, prefers the replicas',
  async () => {
    replicated ??= await startRedis({ topology: 'replicated', replicas: 2 })
    return { topology: createTopology({ location: replicated.urls.join(','), readFrom: 'prefer-replica' }) }
  },
  { laggingReads: true },
)
