import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { StartContext } from './context.js'
import { addDataNode } from './data-node.js'
import type { Deployment, TopologyOps } from './deployment.js'
import { HarnessError } from './errors.js'
import type { ManagedNode } from './node.js'
import { redactSecrets } from './redact.js'
import { waitReplicasReady } from './replication.js'
import { type ClusterNodeLine, parseClusterNodes, parseInfo } from './replies.js'
import { RespError } from './resp.js'
import { type CheckResult, Deadline, waitUntil } from './wait.js'

const run = promisify(execFile)
const PRIMARIES = 3
const BAD_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr']

/**
 * Three primaries with `replicas` replicas each: the nodes are started with `cluster-enabled yes`,
 * joined with `redis-cli --cluster create --cluster-replicas <n> --cluster-yes`, and awaited until
 * every node reports `cluster_state:ok`, all agree on the slot map, and every replica is linked.
 */
export async function startCluster(ctx: StartContext): Promise<void> {
  const total = PRIMARIES * (1 + ctx.options.replicas)
  const nodes = await Promise.all(
    Array.from({ length: total }, () =>
      addDataNode(ctx, { role: 'primary', label: 'cluster', cluster: true }),
    ),
  )
  await createCluster(ctx, nodes)
  await settleCluster(ctx.deployment, ctx.deadline, total)
}

async function createCluster(ctx: StartContext, nodes: readonly ManagedNode[]): Promise<void> {
  const { auth, tls } = ctx.shared
  const args = [
    ...(tls === undefined
      ? []
      : ['--tls', '--cacert', tls.caFile, '--cert', tls.clientCertFile, '--key', tls.clientKeyFile]),
    ...(auth?.username === undefined ? [] : ['--user', auth.username]),
    '--cluster',
    'create',
    ...nodes.map((n) => n.address),
    '--cluster-replicas',
    String(ctx.options.replicas),
    '--cluster-yes',
  ]
  // The password goes through the environment, never the command line (visible in `ps`).
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (auth === undefined) delete env.REDISCLI_AUTH
  else env.REDISCLI_AUTH = auth.password
  try {
    await run(ctx.bins.cli ?? 'redis-cli', args, {
      env,
      timeout: ctx.deadline.remaining(),
      maxBuffer: 8 << 20,
    })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    const tail = `${stdout}\n${stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-20)
      .join('\n')
    throw new HarnessError(
      'E_HARNESS_START',
      `redis-cli --cluster create ${nodes.map((n) => n.address).join(' ')} failed: ${(error as Error).message.split('\n')[0]}\n${redactSecrets(tail, [auth?.password])}`,
      { cause: error },
    )
  }
}

/** The cluster as one node sees it. */
interface View {
  readonly lines: readonly ClusterNodeLine[]
  /** Slot map (and replica relations among live nodes) as a comparable string. */
  readonly signature: string
}

async function viewOf(node: ManagedNode, live: ReadonlySet<number>, timeout: number): Promise<View | string> {
  const [info, nodes] = await node.commands(
    [
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'NODES'],
    ],
    timeout,
  )
  if (info instanceof RespError) return `${node.address}: ${info.message}`
  const state = parseInfo(info ?? null).get('cluster_state')
  if (state !== 'ok') return `${node.address} reports cluster_state:${state}`
  const lines = parseClusterNodes(nodes ?? null)
  const byId = new Map(lines.map((l) => [l.id, l]))
  const parts: string[] = []
  for (const line of lines) {
    if (line.slots.length > 0) parts.push(`${line.port}=${line.slots.map(([a, b]) => `${a}-${b}`).join(',')}`)
    if (!live.has(line.port)) continue
    const bad = line.flags.find((f) => BAD_FLAGS.includes(f))
    if (bad !== undefined) return `${node.address} flags ${line.port} as ${bad}`
    if (line.flags.includes('slave')) {
      const primary = line.primaryId === undefined ? undefined : byId.get(line.primaryId)
      parts.push(`${line.port}>${primary?.port ?? '?'}`)
    }
  }
  return { lines, signature: parts.sort().join(' ') }
}

/**
 * Waits until every live node reports `cluster_state:ok` and the same slot map and replica
 * relations (and, with `known`, knows that many nodes); then takes roles and order from that
 * view and waits until every live replica is linked and streaming.
 */
async function settleCluster(
  deployment: Deployment,
  deadline: Deadline,
  known?: number,
  check?: (lines: readonly ClusterNodeLine[]) => CheckResult,
): Promise<void> {
  const live = deployment.dataNodes.filter((n) => n.live)
  const livePorts = new Set(live.map((n) => n.port))
  let agreed: readonly ClusterNodeLine[] = []
  await waitUntil(
    'every cluster node to report cluster_state:ok and agree on the slots',
    async () => {
      let first: View | undefined
      for (const node of live) {
        const view = await viewOf(node, livePorts, deadline.slice(1000))
        if (typeof view === 'string') return view
        if (known !== undefined && view.lines.length !== known)
          return `${node.address} knows ${view.lines.length} of ${known} nodes`
        if (first === undefined) first = view
        else if (view.signature !== first.signature) {
          return `${node.address} sees [${view.signature}], ${live[0]?.address} sees [${first.signature}]`
        }
      }
      if (first === undefined) return 'no live cluster node'
      const extra = check?.(first.lines) ?? true
      if (extra !== true) return extra
      agreed = first.lines
      return true
    },
    deadline,
    { interval: 100 },
  )
  adoptRoles(deployment, agreed)
  const byPort = new Map(agreed.map((l) => [l.port, l]))
  await Promise.all(
    deployment.primaries.map((primary) => {
      const id = byPort.get(primary.port)?.id
      const replicas = deployment.replicas.filter(
        (r) => id !== undefined && byPort.get(r.port)?.primaryId === id,
      )
      return waitReplicasReady(primary, replicas, deadline)
    }),
  )
}

/** Roles from a view: a master that serves slots is a primary, anything else a replica. */
function adoptRoles(deployment: Deployment, lines: readonly ClusterNodeLine[]): void {
  const byPort = new Map(lines.map((l) => [l.port, l]))
  const data = deployment.dataNodes
  for (const node of data) {
    const line = byPort.get(node.port)
    if (line === undefined) continue
    node.role = line.flags.includes('master') && line.slots.length > 0 ? 'primary' : 'replica'
  }
  const firstSlot = (n: ManagedNode): number => byPort.get(n.port)?.slots[0]?.[0] ?? Number.MAX_SAFE_INTEGER
  const primaries = data.filter((n) => n.role === 'primary').sort((a, b) => firstSlot(a) - firstSlot(b))
  const replicas = data.filter((n) => n.role === 'replica')
  deployment.reorder([...primaries, ...replicas])
}

/** How long a coordinated `CLUSTER FAILOVER` may take before the harness falls back to TAKEOVER. */
const COORDINATED_FAILOVER_MS = 3000

/**
 * Promotes a live replica of `primaries[0]`; resolved when it serves those slots in every live
 * node's view, cluster_state is ok everywhere, and its replicas (the old primary, if live) are
 * linked.
 *
 * A live primary gets the coordinated `CLUSTER FAILOVER` (the primary pauses writes until the
 * replica has caught up). A down or paused primary cannot take part, so the replica gets
 * `CLUSTER FAILOVER TAKEOVER` (no election). The coordinated way falls back to TAKEOVER too when it
 * has not completed within a few seconds: primaries refuse to vote for a replica of the same shard
 * twice within 2 x cluster-node-timeout, which back-to-back failovers in tests run into. Last,
 * `CLUSTER BUMPEPOCH` on the new primary: Redis 7.0 can reuse a stale election result for a replica
 * that won an election moments before and then claim the slots with an old config epoch, which the
 * other nodes ignore (the bump is a no-op when its epoch is already the highest).
 */
async function clusterFailover(deployment: Deployment, deadline: Deadline): Promise<void> {
  const old = deployment.primary
  const source = deployment.dataNodes.find((n) => n.live)
  if (source === undefined) {
    throw new HarnessError('E_HARNESS_STATE', 'failover() needs a running cluster node')
  }
  const lines = parseClusterNodes(await source.command(['CLUSTER', 'NODES'], deadline.slice(2000)))
  const oldLine = lines.find((l) => l.port === old.port)
  const candidate = deployment.replicas.find(
    (r) => r.live && lines.find((l) => l.port === r.port)?.primaryId === oldLine?.id,
  )
  if (candidate === undefined || oldLine === undefined) {
    throw new HarnessError('E_HARNESS_STATE', `failover() needs a running replica of ${old.address}`)
  }
  const isMaster = async (): Promise<CheckResult> => {
    const info = parseInfo(await candidate.command(['INFO', 'replication'], deadline.slice(1000)))
    return info.get('role') === 'master' ? true : `${candidate.address} has role ${info.get('role')}`
  }
  const what = `${candidate.address} to become a master`
  let promoted = false
  if (old.live) {
    await candidate.command(['CLUSTER', 'FAILOVER'], deadline.slice(2000))
    promoted = await waitUntil(
      what,
      isMaster,
      new Deadline(Math.min(COORDINATED_FAILOVER_MS, deadline.remaining())),
    )
      .then(() => true)
      .catch(() => false)
  }
  if (!promoted) {
    await candidate
      .command(['CLUSTER', 'FAILOVER', 'TAKEOVER'], deadline.slice(2000))
      .catch(async (error: unknown) => {
        // It may have won the coordinated election in the meantime.
        if ((await isMaster().catch(() => false)) !== true) throw error
      })
    await waitUntil(what, isMaster, deadline)
  }
  await candidate.command(['CLUSTER', 'BUMPEPOCH'], deadline.slice(2000))
  const firstSlot = oldLine.slots[0]?.[0] ?? 0
  await settleCluster(deployment, deadline, undefined, (view) => {
    const owner = view.find((l) => l.slots.some(([a]) => a === firstSlot))
    return owner?.port === candidate.port ? true : `slot ${firstSlot} is still served by port ${owner?.port}`
  })
}

export const clusterOps: TopologyOps = {
  async afterRestart(deployment, _node, deadline) {
    await settleCluster(deployment, deadline)
  },
  failover: clusterFailover,
}
