import type { ManagedNode } from './node.js'
import { parseInfo } from './replies.js'
import { type CheckResult, type Deadline, waitUntil } from './wait.js'

/** `true` once `replica` replicates `primary` with its link up. */
export async function followsCheck(
  replica: ManagedNode,
  primary: ManagedNode,
  timeout: number,
): Promise<CheckResult> {
  const info = parseInfo(await replica.command(['INFO', 'replication'], timeout))
  const role = info.get('role')
  if (role !== 'slave') return `${replica.address} has role ${role}`
  if (Number(info.get('master_port')) !== primary.port) {
    return `${replica.address} replicates port ${info.get('master_port')}, not ${primary.port}`
  }
  const link = info.get('master_link_status')
  return link === 'up' ? true : `${replica.address} master_link_status:${link}`
}

/** Waits until `replica` reports `master_link_status:up` towards `primary`. */
export function waitFollowing(replica: ManagedNode, primary: ManagedNode, deadline: Deadline): Promise<void> {
  return waitUntil(
    `${replica.description} to replicate ${primary.address} (master_link_status:up)`,
    () => followsCheck(replica, primary, deadline.slice(1000)),
    deadline,
    { failIf: () => (replica.processExit === undefined ? undefined : replica.startFailure('exited')) },
  )
}

/**
 * Makes `replica` replicate `primary` if it does not already (REPLICAOF + CONFIG REWRITE, what
 * Sentinel itself would do, so a later restart keeps it), then waits for the link (unless the
 * primary is down or paused: then there is no link to wait for).
 */
export async function ensureFollowing(
  replica: ManagedNode,
  primary: ManagedNode,
  deadline: Deadline,
): Promise<void> {
  const info = parseInfo(await replica.command(['INFO', 'replication'], deadline.slice(2000)))
  if (info.get('role') !== 'slave' || Number(info.get('master_port')) !== primary.port) {
    await replica.command(['REPLICAOF', primary.host, primary.port], deadline.slice(2000))
    await replica.command(['CONFIG', 'REWRITE'], deadline.slice(2000))
  }
  if (primary.live) await waitFollowing(replica, primary, deadline)
}

/** A channel nobody listens on: PUBLISH to it is a write that reaches every replica and changes nothing. */
const PROBE_CHANNEL = '__rediskit_harness__'

/**
 * Waits until every live replica in `replicas` is linked to `primary` and the primary streams
 * writes to them: a PUBLISH on a harness channel, then WAIT until they acknowledged it. (A linked
 * replica is not always streaming yet: after a diskless sync the primary holds the stream until the
 * replica's next REPLCONF ACK, up to a second later.)
 */
export async function waitReplicasReady(
  primary: ManagedNode,
  replicas: readonly ManagedNode[],
  deadline: Deadline,
): Promise<void> {
  const live = replicas.filter((r) => r.live)
  await Promise.all(live.map((r) => waitFollowing(r, primary, deadline)))
  if (live.length === 0 || !primary.live) return
  await waitUntil(
    `${primary.description} to stream writes to its ${live.length} replica(s)`,
    async () => {
      const [, acked] = await primary.commands(
        [
          ['PUBLISH', PROBE_CHANNEL, 'ready'],
          ['WAIT', live.length, 1000],
        ],
        deadline.slice(3000),
      )
      return typeof acked === 'number' && acked >= live.length
        ? true
        : `${String(acked)} of ${live.length} replicas acknowledged a write`
    },
    deadline,
  )
}
