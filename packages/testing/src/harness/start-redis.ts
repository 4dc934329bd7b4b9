import { mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type HarnessBinary, requireBinaries } from './binaries.js'
import { trackDir } from './cleanup.js'
import { clusterOps, startCluster } from './cluster.js'
import type { SharedSettings } from './config.js'
import type { ResolvedBinaries, ResolvedOptions, StartContext } from './context.js'
import { Deployment, type TopologyOps } from './deployment.js'
import { HarnessError } from './errors.js'
import { replicatedOps, startReplicated } from './replicated.js'
import { sentinelOps, startSentinel } from './sentinel.js'
import { standaloneOps, startStandalone } from './standalone.js'
import { createTlsMaterial } from './tls.js'
import type { RedisDeployment, RedisTopologyName, StartRedisOptions } from './types.js'
import { Deadline } from './wait.js'

const TOPOLOGIES: Record<
  RedisTopologyName,
  { start: (ctx: StartContext) => Promise<void>; ops: TopologyOps }
> = {
  standalone: { start: startStandalone, ops: standaloneOps },
  replicated: { start: startReplicated, ops: replicatedOps },
  sentinel: { start: startSentinel, ops: sentinelOps },
  cluster: { start: startCluster, ops: clusterOps },
}

function invalid(message: string): HarnessError {
  return new HarnessError('E_HARNESS_OPTIONS', `startRedis(): ${message}`)
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min)
    throw invalid(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

function lines(name: string, value: readonly string[] | undefined): readonly string[] {
  for (const line of value ?? []) {
    if (typeof line !== 'string' || /[\r\n]/.test(line))
      throw invalid(`each ${name} entry must be one config line`)
  }
  return value ?? []
}

/** Validates the options and applies the defaults. */
function resolve(options: StartRedisOptions): ResolvedOptions {
  const topology = options.topology ?? 'standalone'
  if (!Object.hasOwn(TOPOLOGIES, topology)) {
    throw invalid(
      `unknown topology ${JSON.stringify(topology)} (standalone, replicated, sentinel or cluster)`,
    )
  }
  const onlyFor = (name: keyof StartRedisOptions, allowed: readonly RedisTopologyName[]): void => {
    if (options[name] !== undefined && !allowed.includes(topology)) {
      throw invalid(
        `option ${name} applies to topology ${allowed.map((t) => `'${t}'`).join(' or ')}, not '${topology}'`,
      )
    }
  }
  onlyFor('replicas', ['replicated', 'sentinel', 'cluster'])
  onlyFor('sentinels', ['sentinel'])
  onlyFor('masterName', ['sentinel'])
  onlyFor('sentinelConfig', ['sentinel'])
  if (options.password !== undefined && options.acl !== undefined) {
    throw invalid('give either password or acl, not both')
  }
  if (options.password !== undefined && (typeof options.password !== 'string' || options.password === '')) {
    throw invalid('password must be a non-empty string')
  }
  if (
    options.acl !== undefined &&
    (!options.acl.username || !options.acl.password || /\s/.test(options.acl.username))
  ) {
    throw invalid('acl needs a username without spaces and a non-empty password')
  }
  const timeout = options.timeout ?? 30_000
  if (!(timeout > 0)) throw invalid(`timeout must be a positive number of ms, got ${timeout}`)
  return {
    topology,
    unixSocket: options.unixSocket === true,
    config: lines('config', options.config),
    sentinelConfig: lines('sentinelConfig', options.sentinelConfig),
    replicas: count(
      'replicas',
      options.replicas,
      topology === 'cluster' ? 1 : 2,
      topology === 'cluster' ? 0 : 1,
    ),
    sentinels: count('sentinels', options.sentinels, 3, 1),
    masterName: options.masterName ?? 'mymaster',
    timeout,
  }
}

function binaries(topology: RedisTopologyName, tls: boolean): ResolvedBinaries {
  const needed: HarnessBinary[] = ['redis-server']
  if (topology === 'sentinel') needed.push('redis-sentinel')
  if (topology === 'cluster') needed.push('redis-cli')
  if (tls) needed.push('openssl')
  const found = requireBinaries(needed)
  return {
    server: found['redis-server'] ?? 'redis-server',
    sentinel: found['redis-sentinel'],
    cli: found['redis-cli'],
    openssl: found.openssl,
  }
}

/**
 * Starts real `redis-server` (and `redis-sentinel`) processes on free ports of 127.0.0.1, each in
 * its own temp dir, and resolves once the whole deployment is ready: every node answers PING,
 * replicas are linked, sentinels know everything, a cluster reports `cluster_state:ok` on every node.
 * On failure everything started so far is stopped and the error names the node and shows the tail of
 * its log.
 *
 * ```ts
 * await using redis = await startRedis({ topology: 'cluster' })
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisDeployment> {
  const resolved = resolve(options)
  const bins = binaries(resolved.topology, options.tls === true)
  const topology = TOPOLOGIES[resolved.topology]
  const deadline = new Deadline(resolved.timeout)
  const deployment = new Deployment({
    topology: resolved.topology,
    ops: topology.ops,
    timeout: resolved.timeout,
    username: options.acl?.username,
    password: options.acl?.password ?? options.password,
    masterName: resolved.topology === 'sentinel' ? resolved.masterName : undefined,
  })
  try {
    let tls: SharedSettings['tls']
    if (options.tls === true) {
      const dir = realpathSync(mkdtempSync(join(realpathSync(tmpdir()), 'rediskit-harness-tls-')))
      trackDir(dir)
      deployment.addDir(dir)
      tls = await createTlsMaterial(bins.openssl ?? 'openssl', dir)
      deployment.tls = tls
    }
    const auth =
      options.acl !== undefined
        ? { username: options.acl.username, password: options.acl.password }
        : options.password !== undefined
          ? { password: options.password }
          : undefined
    await topology.start({ options: resolved, bins, shared: { auth, tls }, deadline, deployment })
    return deployment
  } catch (error) {
    await deployment.stop().catch(() => {})
    throw error
  }
}
