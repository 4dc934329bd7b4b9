import type { Redis } from 'ioredis'
import type { ScaleReads } from './cluster-options.js'
import type { NodeHealth } from './node-health.js'

/**
 * Commands that must be served by the slot's primary whatever `scaleReads` says: the reads sent
 * through a driver taken with `nodeFor(key, 'write')` (read-your-writes inside one operation).
 */
const primaryOnly = new WeakSet<object>()

/** Marks a command (an ioredis `Command`) as one for the primary only. */
export function markPrimaryOnly(command: object): void {
  primaryOnly.add(command)
}

/** Node states in which a replica may take a read: connected, or lazily waiting to connect. */
const USABLE = new Set(['ready', 'wait', 'connect', 'connecting'])

/**
 * What rediskit gives ioredis as `scaleReads`: `'master'` as it is (every command to the primary,
 * the fastest path in ioredis), else a function that honours {@link markPrimaryOnly}.
 */
export function scaleReadsOption(
  policy: ScaleReads,
  health: NodeHealth,
): 'master' | ((nodes: (Redis | undefined)[], command: object) => Redis | undefined) {
  return policy === 'master' ? 'master' : scaleReadsRouter(policy, health)
}

/**
 * The `scaleReads` function rediskit gives ioredis for replica reads. ioredis calls it only for
 * read-only commands, with the slot's nodes (`[primary, ...replicas]`, possibly with holes for
 * nodes not in its pool); writes always go to the primary. Replicas that are closing, or that
 * failed within the last few seconds ({@link NodeHealth}), are skipped; with none left the read
 * goes to the primary.
 */
export function scaleReadsRouter(
  policy: ScaleReads,
  health: NodeHealth,
): (nodes: (Redis | undefined)[], command: object) => Redis | undefined {
  return (nodes, command) => {
    const primary = nodes[0]
    if (policy === 'master' || primaryOnly.has(command)) return primary
    const candidates: Redis[] = []
    for (let i = policy === 'slave' ? 1 : 0; i < nodes.length; i++) {
      const node = nodes[i]
      if (node === undefined || !USABLE.has(node.status)) continue
      // The primary is always a candidate under 'all'; replicas only while healthy.
      if (i > 0 && !health.healthy(`${node.options.host}:${node.options.port}`)) continue
      candidates.push(node)
    }
    if (candidates.length === 0) return primary
    return candidates[Math.floor(Math.random() * candidates.length)]
  }
}
