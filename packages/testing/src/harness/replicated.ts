import type { StartContext } from './context.js'
import { addDataNode } from './data-node.js'
import type { Deployment, TopologyOps } from './deployment.js'
import type { ManagedNode } from './node.js'
import { ensureFollowing, waitReplicasReady } from './replication.js'
import { noFailover } from './standalone.js'
import type { Deadline } from './wait.js'

/**
 * A primary and `replicas` replicas (`replicaof`), resolved when every replica's link is up and
 * the primary streams writes to them.
 * Also the data layer of the sentinel topology.
 */
export async function startPrimaryAndReplicas(ctx: StartContext, label: string): Promise<void> {
  const primary = await addDataNode(ctx, { role: 'primary', label })
  const replicas = await Promise.all(
    Array.from({ length: ctx.options.replicas }, () =>
      addDataNode(ctx, { role: 'replica', label, replicaOf: primary.port }),
    ),
  )
  await waitReplicasReady(primary, replicas, ctx.deadline)
}

export async function startReplicated(ctx: StartContext): Promise<void> {
  await startPrimaryAndReplicas(ctx, 'replicated')
}

/**
 * After a data node of a primary/replica set restarted: a replica must replicate the current
 * primary again (it is told to if it came back as a primary); a primary waits for its live
 * replicas to reconnect.
 */
export async function dataNodeRestarted(
  deployment: Deployment,
  node: ManagedNode,
  deadline: Deadline,
): Promise<void> {
  const primary = deployment.primary
  if (node !== primary) await ensureFollowing(node, primary, deadline)
  await waitReplicasReady(primary, deployment.replicas, deadline)
}

export const replicatedOps: TopologyOps = {
  afterRestart: dataNodeRestarted,
  async failover(deployment) {
    noFailover(deployment.topology)
  },
}
