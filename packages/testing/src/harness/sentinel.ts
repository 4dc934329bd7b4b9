import { sentinelConf } from './config.js'
import type { StartContext } from './context.js'
import type { Deployment, TopologyOps } from './deployment.js'
import { HarnessError } from './errors.js'
import { ManagedNode } from './node.js'
import { dataNodeRestarted, startPrimaryAndReplicas } from './replicated.js'
import { ensureFollowing, waitReplicasReady } from './replication.js'
import { parseFieldList, parseInfo } from './replies.js'
import { RespError, type RespReply } from './resp.js'
import { type CheckResult, type Deadline, waitUntil } from './wait.js'

function masterName(deployment: Deployment): string {
  return deployment.masterName ?? 'mymaster'
}

/** A primary, its replicas, and `sentinels` sentinels that all know each other and every replica. */
export async function startSentinel(ctx: StartContext): Promise<void> {
  await startPrimaryAndReplicas(ctx, 'sentinel')
  const { deployment, options } = ctx
  const primaryPort = deployment.primary.port
  const quorum = Math.floor(options.sentinels / 2) + 1
  await Promise.all(
    Array.from({ length: options.sentinels }, async () => {
      const sentinel = new ManagedNode({
        kind: 'sentinel',
        role: 'sentinel',
        label: 'sentinel',
        bin: ctx.bins.sentinel ?? 'redis-sentinel',
        shared: ctx.shared,
        unixSocket: false,
        clusterBus: false,
        config: (port, dir) =>
          sentinelConf({
            port,
            dir,
            shared: ctx.shared,
            masterName: options.masterName,
            primaryPort,
            quorum,
            extra: options.sentinelConfig,
          }),
      })
      deployment.addNode(sentinel)
      await sentinel.start(ctx.deadline)
    }),
  )
  await waitSentinelsAgree(deployment, ctx.deadline, true)
}

/**
 * `true` when `sentinel` sees the deployment's primary as a healthy master, knows every live
 * replica as a healthy replica, and (when `full`) knows every other sentinel.
 */
async function sentinelCheck(
  deployment: Deployment,
  sentinel: ManagedNode,
  full: boolean,
  timeout: number,
): Promise<CheckResult> {
  const name = masterName(deployment)
  const [masterReply, replicasReply] = await sentinel.commands(
    [
      ['SENTINEL', 'MASTER', name],
      ['SENTINEL', 'REPLICAS', name],
    ],
    timeout,
  )
  if (masterReply instanceof RespError) return `${sentinel.address}: ${masterReply.message}`
  const master = parseFieldList(masterReply ?? null)
  const primary = deployment.primary
  const at = `sentinel ${sentinel.address}`
  if (Number(master.get('port')) !== primary.port)
    return `${at} sees the master at port ${master.get('port')}, not ${primary.port}`
  if (master.get('flags') !== 'master') return `${at} flags the master ${master.get('flags')}`
  const expectedSentinels = deployment.sentinels.filter((s) => s.live).length - 1
  if (full && Number(master.get('num-other-sentinels')) < expectedSentinels) {
    return `${at} knows ${master.get('num-other-sentinels')} other sentinels, expected ${expectedSentinels}`
  }
  const known = new Map<number, Map<string, string>>()
  for (const entry of Array.isArray(replicasReply) ? replicasReply : []) {
    const fields = parseFieldList(entry as RespReply)
    known.set(Number(fields.get('port')), fields)
  }
  for (const replica of deployment.replicas) {
    if (!replica.live) continue
    const fields = known.get(replica.port)
    if (fields === undefined) return `${at} does not know replica ${replica.address} yet`
    if (fields.get('flags') !== 'slave')
      return `${at} flags replica ${replica.address} ${fields.get('flags')}`
    if (fields.get('master-link-status') !== 'ok')
      return `${at}: replica ${replica.address} link ${fields.get('master-link-status')}`
  }
  return true
}

async function waitSentinelsAgree(deployment: Deployment, deadline: Deadline, full: boolean): Promise<void> {
  const sentinels = deployment.sentinels.filter((s) => s.live)
  await waitUntil(
    `every sentinel to know the master ${deployment.primary.address}, its replicas${full ? ' and the other sentinels' : ''}`,
    async () => {
      for (const sentinel of sentinels) {
        const result = await sentinelCheck(deployment, sentinel, full, deadline.slice(1000))
        if (result !== true) return result
      }
      return true
    },
    deadline,
    { interval: 100 },
  )
}

/** The primary's port according to the live sentinels, if they all agree. */
async function sentinelsPrimaryPort(deployment: Deployment, timeout: number): Promise<number | string> {
  const ports = new Set<number>()
  for (const sentinel of deployment.sentinels.filter((s) => s.live)) {
    const reply = await sentinel.command(
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName(deployment)],
      timeout,
    )
    if (!Array.isArray(reply)) return `sentinel ${sentinel.address} does not know ${masterName(deployment)}`
    ports.add(Number(reply[1]))
  }
  const [port] = ports
  if (ports.size !== 1 || port === undefined)
    return `sentinels disagree on the master: ports ${[...ports].join(', ')}`
  return port
}

/** Makes the node the sentinels call master our `primary` (after an automatic failover, say). */
async function adoptSentinelsView(deployment: Deployment, deadline: Deadline): Promise<void> {
  const port = await sentinelsPrimaryPort(deployment, deadline.slice(1000)).catch(() => undefined)
  if (typeof port !== 'number') return
  setPrimary(deployment, port)
}

function setPrimary(deployment: Deployment, port: number): ManagedNode {
  const data = deployment.dataNodes
  const primary = data.find((n) => n.port === port)
  if (primary === undefined) {
    throw new HarnessError(
      'E_HARNESS_START',
      `the sentinels report a master at port ${port} that is not a node of this deployment`,
    )
  }
  for (const node of data) node.role = node === primary ? 'primary' : 'replica'
  deployment.reorder([primary, ...data.filter((n) => n !== primary)])
  return primary
}

/**
 * `SENTINEL FAILOVER <name>` on a live sentinel; resolved when every live sentinel reports the new
 * primary, it answers as role master, the sentinels have finished the failover, and every other
 * live data node (the old primary included) replicates it.
 */
async function sentinelFailover(deployment: Deployment, deadline: Deadline): Promise<void> {
  await adoptSentinelsView(deployment, deadline)
  const old = deployment.primary
  const sentinel = deployment.sentinels.find((s) => s.live)
  if (sentinel === undefined) throw new HarnessError('E_HARNESS_STATE', 'failover() needs a running sentinel')
  const name = masterName(deployment)
  await waitUntil(
    `sentinel ${sentinel.address} to accept SENTINEL FAILOVER ${name}`,
    async () => {
      try {
        await sentinel.command(['SENTINEL', 'FAILOVER', name], deadline.slice(2000))
        return true
      } catch (error) {
        // No replica is eligible yet (info not refreshed): try again. A failover already in progress will do.
        if (error instanceof RespError && error.message.startsWith('INPROG')) return true
        throw error
      }
    },
    deadline,
    { interval: 200 },
  )
  let promoted = 0
  await waitUntil(
    `every sentinel to report a new master instead of ${old.address}`,
    async () => {
      const port = await sentinelsPrimaryPort(deployment, deadline.slice(1000))
      if (typeof port !== 'number') return port
      if (port === old.port) return `the sentinels still report ${old.address}`
      const node = deployment.dataNodes.find((n) => n.port === port)
      if (node === undefined) return `the sentinels report an unknown master port ${port}`
      const role = parseInfo(await node.command(['INFO', 'replication'], deadline.slice(1000))).get('role')
      if (role !== 'master') return `${node.address} has role ${role}`
      for (const s of deployment.sentinels.filter((n) => n.live)) {
        const flags = parseFieldList(await s.command(['SENTINEL', 'MASTER', name], deadline.slice(1000))).get(
          'flags',
        )
        if (flags !== 'master') return `sentinel ${s.address} flags the master ${flags}`
      }
      promoted = port
      return true
    },
    deadline,
    { interval: 100 },
  )
  const primary = setPrimary(deployment, promoted)
  await Promise.all(
    deployment.replicas.filter((r) => r.live).map((replica) => ensureFollowing(replica, primary, deadline)),
  )
  await waitReplicasReady(primary, deployment.replicas, deadline)
}

export const sentinelOps: TopologyOps = {
  async afterRestart(deployment, node, deadline) {
    if (node.kind === 'sentinel') {
      await waitUntil(
        `sentinel ${node.address} to know the master again`,
        () => sentinelCheck(deployment, node, false, deadline.slice(1000)),
        deadline,
        { interval: 100 },
      )
      return
    }
    await adoptSentinelsView(deployment, deadline)
    await dataNodeRestarted(deployment, node, deadline)
  },
  failover: sentinelFailover,
}
