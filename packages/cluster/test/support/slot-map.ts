import { eventually } from '@rediskit/testing'
import type { ClusterTopology } from '../../src/index.js'

/**
 * Waits until ioredis's slot map lists a replica for every slot. Redis 7 leaves a replica out of
 * CLUSTER SLOTS while its replication offset is 0 (a fresh cluster nobody wrote to yet), so after
 * the first writes the map has to be refreshed once more.
 */
export async function replicasListed(topology: ClusterTopology): Promise<void> {
  await eventually(
    'the slot map lists the replicas',
    async () => {
      await new Promise<void>((resolve) => topology.client.refreshSlotsCache(() => resolve()))
      return topology.client.slots.every((nodes) => nodes.length > 1)
    },
    15_000,
    100,
  )
}
