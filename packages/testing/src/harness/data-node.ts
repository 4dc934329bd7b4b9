import { redisConf } from './config.js'
import type { StartContext } from './context.js'
import { ManagedNode } from './node.js'
import type { RedisNodeRole } from './types.js'

/**
 * Creates a redis-server node (registered with the deployment at once, so a failure below is
 * cleaned up by `stop()`), starts it and waits until it answers PING.
 */
export async function addDataNode(
  ctx: StartContext,
  node: { role: RedisNodeRole; label: string; replicaOf?: number; cluster?: boolean },
): Promise<ManagedNode> {
  const cluster = node.cluster === true
  const managed = new ManagedNode({
    kind: 'redis',
    role: node.role,
    label: node.label,
    bin: ctx.bins.server,
    shared: ctx.shared,
    unixSocket: ctx.options.unixSocket,
    clusterBus: cluster,
    config: (port, dir) =>
      redisConf({
        port,
        dir,
        shared: ctx.shared,
        unixSocket: ctx.options.unixSocket,
        cluster,
        replicaOf: node.replicaOf,
        extra: ctx.options.config,
      }),
  })
  ctx.deployment.addNode(managed)
  await managed.start(ctx.deadline)
  return managed
}
