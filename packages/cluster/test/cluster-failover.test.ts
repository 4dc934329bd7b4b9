import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { type Cache, createCache, isRediskitError } from '@rediskit/core'
import { eventually, type RedisDeployment, type RedisNode, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClusterTopology, cluster } from '../src/index.js'
import { replicasListed } from './support/slot-map.js'

// One 3-primary / 3-replica cluster for the file; the tests run in order and leave it healthy
// (a killed node is restarted and rejoins as a replica).
let redis: RedisDeployment
beforeAll(async () => {
  redis = await startRedis({ topology: 'cluster' })
}, 60_000)
afterAll(async () => {
  await redis?.stop()
})

/**
 * Slack over the deadline: a loaded 2-core machine (other suites, a dozen redis-servers) lags
 * timers and the event loop by hundreds of ms. A call that hangs (retries without a deadline)
 * takes many times the deadline, so "within twice the deadline" still catches it.
 */
const SLACK = 1000

/** The current owner of each primary address, from the cluster itself (the deployment's fields lag after failovers the cluster did on its own). */
function victimOf(
  topology: ClusterTopology,
  keys: readonly string[],
  cache: Cache,
): { node: RedisNode; keys: string[] } {
  const owner = topology.nodeFor(cache.makeKey(keys[0] as string), 'write').id
  const node = redis.nodes.find((n) => n.address === owner)
  if (node === undefined) throw new Error(`no node at ${owner}`)
  return { node, keys: keys.filter((key) => topology.nodeFor(cache.makeKey(key), 'write').id === owner) }
}

interface LoopReport {
  /** Longest single cache call, ms. */
  longest: number
  /** Calls that threw (must stay 0 under handleErrors). */
  thrown: unknown[]
  /** Set/get pairs on the victim's keys that did not succeed, with when they ended. */
  failures: number[]
  /** When each victim-key pair succeeded. */
  successes: number[]
}

/**
 * Runs `workers` set-then-get loops over `keys` until `stop()` says so. Each pair on a key checks
 * that the value read is the one written.
 */
function readWriteLoop(
  cache: Cache,
  keys: readonly string[],
  victimKeys: ReadonlySet<string>,
  workers: number,
): { report: LoopReport; stop: () => Promise<LoopReport> } {
  const report: LoopReport = { longest: 0, thrown: [], failures: [], successes: [] }
  let running = true
  const timed = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    const start = performance.now()
    try {
      return await call()
    } catch (error) {
      report.thrown.push(error)
      return undefined
    } finally {
      report.longest = Math.max(report.longest, performance.now() - start)
    }
  }
  const loops = Array.from({ length: workers }, async (_, worker) => {
    let n = 0
    // Each worker owns its keys: what it reads back must be what it wrote last.
    const mine = keys.filter((_, i) => i % workers === worker)
    while (running) {
      const key = mine[n % mine.length] as string
      const value = `${worker}:${++n}`
      const written = await timed(() => cache.set(key, value))
      const read = await timed(() => cache.get(key))
      // Calls that fail fast settle in microtasks: let timers and I/O run between rounds.
      await yieldToEventLoop()
      if (!victimKeys.has(key)) continue
      if (written === true && read === value) report.successes.push(performance.now())
      else report.failures.push(performance.now())
    }
  })
  return {
    report,
    stop: async () => {
      running = false
      await Promise.all(loops)
      return report
    },
  }
}

/** Waits until the victim's keys failed after `since` and then succeeded for `quiet` ms; returns the recovery time. */
async function recovery(report: LoopReport, since: number, quiet: number): Promise<number> {
  await eventually(
    'reads and writes on the failed primary keys succeed again',
    () => {
      const last = report.failures.at(-1)
      return (
        last !== undefined &&
        last > since &&
        performance.now() - last > quiet &&
        report.successes.some((t) => t > last)
      )
    },
    30_000,
    50,
  )
  const lastFailure = report.failures.at(-1) as number
  const firstSuccess = report.successes.find((t) => t > lastFailure) as number
  return firstSuccess - since
}

function countBy(codes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const code of codes) out[code] = (out[code] ?? 0) + 1
  return out
}

/** The address of a replica of the primary at `primary`, from CLUSTER NODES. */
async function replicaOf(primary: string): Promise<string> {
  const [host, port] = primary.split(':') as [string, string]
  const node = new Redis({ host, port: Number(port), maxRetriesPerRequest: 0 })
  try {
    const id = String(await node.call('CLUSTER', 'MYID'))
    const lines = String(await node.call('CLUSTER', 'NODES')).split('\n')
    const line = lines.find((l) => l.split(' ')[3] === id && !l.includes('fail'))
    const address = line?.split(' ')[1]?.split('@')[0]
    if (address === undefined) throw new Error(`no replica of ${primary} in CLUSTER NODES`)
    return address
  } finally {
    node.disconnect()
  }
}

describe('Redis Cluster failures under load', () => {
  const keys = Array.from({ length: 120 }, (_, i) => `key:${i}`)

  it('a frozen primary: calls fail with E_TIMEOUT within the deadline, and work again once it answers', async () => {
    const commandTimeout = 300
    const topology = cluster({ nodes: redis.addresses, commandTimeout })
    const cache = createCache({ topology, prefix: 'frozen', commandTimeout })
    const safe = createCache({
      topology,
      prefix: 'frozen',
      commandTimeout,
      handleErrors: true,
      logErrors: false,
    })
    try {
      // Warm up (connect every node) before timing anything with so short a deadline.
      await topology.ready()
      await eventually('the cache is warm', () => cache.setMany(keys.map((key) => [key, 1] as const)))
      const victim = victimOf(topology, keys, cache)
      await redis.pause(victim.node)
      try {
        const start = performance.now()
        const error = await cache.get(victim.keys[0] as string).catch((e: unknown) => e)
        const elapsed = performance.now() - start
        expect(isRediskitError(error, 'E_TIMEOUT')).toBe(true)
        expect(elapsed).toBeLessThan(commandTimeout + SLACK)
        const missStart = performance.now()
        expect(await safe.get(victim.keys[1] as string)).toBeUndefined()
        expect(performance.now() - missStart).toBeLessThan(commandTimeout + SLACK)
      } finally {
        await redis.resume(victim.node)
      }
      await eventually(
        'the resumed primary answers',
        async () => (await safe.get(victim.keys[0] as string)) === 1,
      )
      expect(await cache.getMany(keys)).toEqual(keys.map(() => 1))
    } finally {
      await safe.close()
      await cache.close()
      await topology.close()
    }
  })

  it('a primary killed under a read/write loop: no call outlives its deadline or throws under handleErrors; the cluster fails over and reads and writes recover', async () => {
    const commandTimeout = 1000
    const topology = cluster({ nodes: redis.addresses, commandTimeout })
    const safe = createCache({
      topology,
      prefix: 'kill',
      commandTimeout,
      handleErrors: true,
      logErrors: false,
    })
    const strict = createCache({ topology, prefix: 'kill', commandTimeout })
    const events: string[] = []
    safe.on('error', (error) => events.push(error.code))
    let victim: { node: RedisNode; keys: string[] } | undefined
    try {
      await safe.setMany(keys.map((key) => [key, 'initial'] as const))
      victim = victimOf(topology, keys, safe)
      expect(victim.keys.length).toBeGreaterThan(10)
      const victimKeys = new Set(victim.keys)
      const loop = readWriteLoop(safe, keys, victimKeys, 4)
      await eventually('the loop is running', () => loop.report.successes.length > 20)

      const killedAt = performance.now()
      await redis.kill(victim.node)
      // Without handleErrors, a call on the dead primary's keys fails in time with a connection or
      // timeout error (never hangs).
      const start = performance.now()
      const outcome = await strict.get(victim.keys[0] as string).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(performance.now() - start).toBeLessThan(commandTimeout + SLACK)
      if (outcome !== undefined) {
        expect(isRediskitError(outcome)).toBe(true)
        expect(['E_TIMEOUT', 'E_CONNECTION', 'E_CIRCUIT_OPEN']).toContain((outcome as { code: string }).code)
      }

      const recoveredAfter = await recovery(loop.report, killedAt, 2 * commandTimeout)
      const report = await loop.stop()
      console.log(
        `cluster failover (kill of a primary, cluster-node-timeout 2000 ms): reads and writes on its slots recovered ${Math.round(recoveredAfter)} ms after the kill; ${report.failures.length} failed set/get pairs, longest call ${Math.round(report.longest)} ms; error events ${JSON.stringify(countBy(events))}`,
      )
      expect(report.thrown).toEqual([])
      expect(report.longest).toBeLessThan(commandTimeout + SLACK)
      expect(events.length).toBeGreaterThan(0)
      expect(
        events.filter((code) => !['E_TIMEOUT', 'E_CONNECTION', 'E_CIRCUIT_OPEN'].includes(code)),
      ).toEqual([])

      // A replica took over: every key is writable and readable again, through the strict cache.
      expect(topology.primaries().map((d) => d.id)).not.toContain(victim.node.address)
      await strict.setMany(keys.map((key) => [key, 'after'] as const))
      expect(await strict.getMany(keys)).toEqual(keys.map(() => 'after'))
      expect((await strict.keys()).sort()).toEqual([...keys].sort())
    } finally {
      await safe.close()
      await strict.close()
      await topology.close()
      // Bring the old primary back (it rejoins as a replica) for the next test.
      if (victim !== undefined) await redis.restart(victim.node)
    }
  }, 60_000)

  it("scaleReads: 'slave' with a replica killed: reads of its slots fall back without throwing under handleErrors, and succeed once the cluster has dropped it", async () => {
    const commandTimeout = 1000
    const topology = cluster({ nodes: redis.addresses, commandTimeout, scaleReads: 'slave' })
    const safe = createCache({
      topology,
      prefix: 'replica',
      commandTimeout,
      handleErrors: true,
      logErrors: false,
    })
    const events: string[] = []
    safe.on('error', (error) => events.push(error.code))
    await topology.ready()
    // The replica of the shard serving key:0, from the cluster's own view.
    const owner = topology.nodeFor(safe.makeKey(keys[0] as string), 'write').id
    const replicaAddress = await replicaOf(owner)
    const replica = redis.nodes.find((node) => node.address === replicaAddress) as RedisNode
    const shardKeys = keys.filter((key) => topology.nodeFor(safe.makeKey(key), 'write').id === owner)
    try {
      await safe.setMany(keys.map((key) => [key, 'v'] as const))
      await replicasListed(topology)
      await eventually('replica reads see the values', async () =>
        (await safe.getMany(shardKeys)).every((value) => value === 'v'),
      )
      await redis.kill(replica)
      const killedAt = performance.now()
      const slot = topology.slotOf(safe.makeKey(shardKeys[0] as string))
      const listed = (): boolean => (topology.client.slots[slot] ?? []).includes(replicaAddress)
      let longest = 0
      let misses = 0
      let hits = 0
      let droppedAt: number | undefined
      // Read the shard until ioredis's slot map no longer lists the dead replica (the cluster marked
      // it failed and a slot-map refresh saw it), then once more: everything must hit.
      await eventually(
        'the dead replica left the slot map and the shard reads hit',
        async () => {
          const wasListed = listed()
          const began = performance.now()
          const values = await Promise.all(shardKeys.slice(0, 10).map((key) => safe.get(key)))
          longest = Math.max(longest, performance.now() - began)
          const missed = values.filter((value) => value !== 'v').length
          misses += missed
          hits += values.length - missed
          if (!wasListed) droppedAt ??= performance.now()
          return !wasListed && missed === 0
        },
        30_000,
        20,
      )
      console.log(
        `replica killed under scaleReads 'slave': ${misses} reads of its shard missed, ${hits} hit; longest batch ${Math.round(longest)} ms; ioredis dropped the replica from its slot map ${Math.round((droppedAt ?? 0) - killedAt)} ms after the kill; error events: ${[...new Set(events)].join(', ') || 'none'}`,
      )
      expect(longest).toBeLessThan(commandTimeout + SLACK)
    } finally {
      await safe.close()
      await topology.close()
      await redis.restart(replica)
    }
  }, 60_000)

  it('a coordinated failover (the harness failover()) under a read/write loop: nothing throws, and the new primary serves', async () => {
    const commandTimeout = 1000
    const topology = cluster({ nodes: redis.addresses, commandTimeout })
    const safe = createCache({
      topology,
      prefix: 'switch',
      commandTimeout,
      handleErrors: true,
      logErrors: false,
    })
    const events: string[] = []
    safe.on('error', (error) => events.push(error.code))
    try {
      await safe.setMany(keys.map((key) => [key, 'initial'] as const))
      const owner = redis.primaries[0] as RedisNode
      const victimKeys = new Set(
        keys.filter((key) => topology.nodeFor(safe.makeKey(key), 'write').id === owner.address),
      )
      const loop = readWriteLoop(safe, keys, victimKeys, 4)
      await eventually('the loop is running', () => loop.report.successes.length > 20)
      const started = performance.now()
      await redis.failover()
      const done = performance.now()
      await eventually(
        'a write on the old primary keys succeeded after the failover',
        () => loop.report.successes.some((t) => t > done),
        10_000,
      )
      const report = await loop.stop()
      console.log(
        `cluster failover (harness failover(), ${Math.round(done - started)} ms): ${report.failures.length} failed set/get pairs, ${events.length} error events, longest call ${Math.round(report.longest)} ms`,
      )
      expect(report.thrown).toEqual([])
      expect(report.longest).toBeLessThan(commandTimeout + SLACK)
      const primaries = topology.primaries().map((d) => d.id)
      expect(primaries).not.toContain(owner.address)
      expect(primaries).toContain((redis.primaries[0] as RedisNode).address)
      expect(await safe.getMany(keys)).toHaveLength(keys.length)
      await safe.setMany(keys.map((key) => [key, 'after'] as const))
      expect(await safe.getMany(keys)).toEqual(keys.map(() => 'after'))
    } finally {
      await safe.close()
      await topology.close()
    }
  }, 60_000)
})
