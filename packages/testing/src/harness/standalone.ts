import type { StartContext } from './context.js'
import { addDataNode } from './data-node.js'
import type { TopologyOps } from './deployment.js'
import { HarnessError } from './errors.js'

/** `failover()` of a topology without automatic failover. */
export function noFailover(topology: string): never {
  throw new HarnessError(
    'E_HARNESS_OPTIONS',
    `failover() needs topology 'sentinel' or 'cluster'; this deployment is '${topology}'`,
  )
}

/** One redis-server. */
export async function startStandalone(ctx: StartContext): Promise<void> {
  await addDataNode(ctx, { role: 'primary', label: 'standalone' })
}

export const standaloneOps: TopologyOps = {
  async afterRestart() {
    // answering PING is all a standalone server needs
  },
  async failover(deployment) {
    noFailover(deployment.topology)
  },
}
