import type { Redis } from 'ioredis'
import type { ConnectionOptions } from './connection-options.js'
import { RediskitError } from './errors.js'
import { IoredisDriver, ioredisDriver } from './ioredis-driver.js'
import { parseLocation } from './location.js'
import { READ_FROM, ReplicatedTopology } from './replicated.js'
import { sentinelTopology } from './sentinel.js'
import { StandaloneTopology } from './standalone.js'
import type { Topology } from './types.js'

/**
 * Builds the topology that `options` describe; nothing connects until the first command.
 *
 * - `client`: an existing ioredis `Redis` instance, wrapped as a standalone topology and never
 *   closed by rediskit (an ioredis `Cluster` belongs to `cluster()` from @rediskit/cluster).
 * - `sentinels` + `name`: a sentinel-managed primary (and replica reads with `readFrom`).
 * - `location`: one location -> standalone; several -> the first is the primary, the rest are
 *   replicas (`readFrom` decides where reads go).
 *
 * @throws RediskitError `E_CONFIG` for missing, conflicting or invalid options (never echoing a password).
 */
export function createTopology(options: ConnectionOptions): Topology {
  validate(options)
  const given = (['client', 'sentinels', 'location'] as const).filter((name) => options[name] !== undefined)
  if (given.length === 0) {
    throw new RediskitError(
      'E_CONFIG',
      'no Redis to connect to: give `location` (e.g. redis://127.0.0.1:6379/0), `sentinels` + `name`, or `client`',
    )
  }
  if (given.length > 1) {
    throw new RediskitError(
      'E_CONFIG',
      `give only one of client, sentinels and location (got ${given.join(' and ')})`,
    )
  }
  if (options.client !== undefined) return wrapClient(options.client, options)
  if (options.sentinels !== undefined) {
    return sentinelTopology({ ...options, sentinels: options.sentinels, name: options.name ?? '' })
  }
  const locations = parseLocation(options.location ?? '', {
    db: options.db,
    username: options.username,
    password: options.password,
    tls: options.tls !== undefined,
  })
  const drivers = locations.map((location) => ioredisDriver(location, options))
  const [primary, ...replicas] = drivers
  if (primary === undefined) throw new RediskitError('E_CONFIG', 'location is empty')
  // One server serves reads too, whatever readFrom says.
  if (replicas.length === 0) return new StandaloneTopology(primary)
  return new ReplicatedTopology(primary, replicas, { readFrom: options.readFrom })
}

function wrapClient(client: unknown, options: ConnectionOptions): Topology {
  if (typeof client !== 'object' || client === null) {
    throw new RediskitError('E_CONFIG', 'client must be an ioredis Redis instance')
  }
  if ((client as { isCluster?: unknown }).isCluster === true) {
    throw new RediskitError(
      'E_CONFIG',
      'client is an ioredis Cluster: use cluster({ client }) from @rediskit/cluster as the topology',
    )
  }
  const candidate = client as Partial<Redis>
  if (
    typeof candidate.sendCommand !== 'function' ||
    typeof candidate.options !== 'object' ||
    !('status' in client)
  ) {
    throw new RediskitError('E_CONFIG', 'client must be an ioredis Redis instance')
  }
  const driver = new IoredisDriver(client as Redis, { owned: false, commandTimeout: options.commandTimeout })
  return new StandaloneTopology(driver, { ownsDriver: false })
}

function validate(options: ConnectionOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new RediskitError('E_CONFIG', 'connection options must be an object')
  }
  for (const name of ['connectTimeout', 'commandTimeout'] as const) {
    const value = options[name]
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new RediskitError(
        'E_CONFIG',
        `${name} must be a positive number of milliseconds, got ${String(value)}`,
      )
    }
  }
  if (options.readFrom !== undefined && !READ_FROM.includes(options.readFrom)) {
    throw new RediskitError(
      'E_CONFIG',
      `readFrom '${String(options.readFrom)}' is not one of ${READ_FROM.join(', ')}`,
    )
  }
  if (options.db !== undefined && !(Number.isSafeInteger(options.db) && options.db >= 0)) {
    throw new RediskitError('E_CONFIG', `db must be a non-negative integer, got ${String(options.db)}`)
  }
  if (options.sentinels !== undefined && (options.name === undefined || options.name === '')) {
    throw new RediskitError('E_CONFIG', 'sentinels need the master name: set `name`')
  }
}
