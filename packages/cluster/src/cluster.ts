import { Cluster } from 'ioredis'
import { ClusterConnection } from './cluster-connection.js'
import { type ClusterOptions, ioredisClusterOptions, planCluster } from './cluster-options.js'
import { ClusterTopology } from './cluster-topology.js'
import { NodeHealth } from './node-health.js'
import { scaleReadsOption } from './scale-reads.js'
import { probeSeeds } from './seed-probe.js'

/**
 * A Redis Cluster topology for rediskit, on ioredis `Cluster`:
 *
 * ```ts
 * import { createCache } from '@rediskit/core'
 * import { cluster } from '@rediskit/cluster'
 * const cache = createCache({ topology: cluster({ nodes: ['127.0.0.1:7000', '127.0.0.1:7001'] }) })
 * ```
 *
 * Nothing connects until the first command. Multi-key operations are grouped per hash slot (no
 * CROSSSLOT), SCAN / clear / deletePattern walk every primary, reads go where `scaleReads` says,
 * and every command has the `commandTimeout` deadline. Give `client` to use your own `Cluster`
 * (never closed by rediskit).
 *
 * @throws RediskitError `E_CONFIG` for invalid options, never echoing a password.
 */
export function cluster(options: ClusterOptions): ClusterTopology {
  const plan = planCluster(options)
  if (options.client !== undefined) {
    const client = options.client
    const configured = client.options.redisOptions?.commandTimeout
    const connection = new ClusterConnection(client, {
      owned: false,
      commandTimeout:
        options.commandTimeout ?? (typeof configured === 'number' ? configured : plan.commandTimeout),
      connectTimeout: plan.connectTimeout,
      secrets: secretsOf(client.options.redisOptions?.password),
    })
    return new ClusterTopology(connection, 'master')
  }
  const health = new NodeHealth()
  const ioredisOptions = ioredisClusterOptions(plan, options, scaleReadsOption(plan.scaleReads, health))
  const client = new Cluster(
    plan.seeds.map(({ host, port }) => ({ host, port })),
    ioredisOptions,
  )
  const connection = new ClusterConnection(client, {
    owned: true,
    commandTimeout: plan.commandTimeout,
    connectTimeout: plan.connectTimeout,
    secrets: secretsOf(ioredisOptions.redisOptions.password),
    routesReads: plan.scaleReads !== 'master',
    health,
    seeds: plan.seeds.map((seed) => seed.address),
    diagnose: () =>
      probeSeeds(plan.seeds, ioredisOptions.redisOptions, Math.min(plan.connectTimeout, plan.commandTimeout)),
  })
  return new ClusterTopology(
    connection,
    plan.scaleReads,
    plan.seeds.map((seed) => seed.address),
  )
}

function secretsOf(password: string | undefined): string[] {
  return typeof password === 'string' && password !== '' ? [password] : []
}
