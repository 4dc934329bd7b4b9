import { join } from 'node:path'
import type { RespAuth } from './resp.js'
import type { RedisTlsMaterial } from './types.js'

/** What every node of one deployment shares. */
export interface SharedSettings {
  /** `username` set = the ACL user of `acl`; unset = `requirepass`. */
  readonly auth: RespAuth | undefined
  readonly tls: RedisTlsMaterial | undefined
}

/** A config-file argument, double-quoted (Redis's sdssplitargs syntax) unless it is a plain token. */
export function quote(arg: string | number): string {
  const text = String(arg)
  if (/^[A-Za-z0-9_.:/@+-]+$/.test(text)) return text
  let out = '"'
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${out}"`
}

function line(...args: (string | number)[]): string {
  return args.map(quote).join(' ')
}

function listen(port: number, dir: string, tls: RedisTlsMaterial | undefined, logName: string): string[] {
  return [
    line('bind', '127.0.0.1'),
    ...(tls === undefined
      ? [line('port', port)]
      : [
          line('port', 0),
          line('tls-port', port),
          line('tls-cert-file', tls.certFile),
          line('tls-key-file', tls.keyFile),
          line('tls-ca-cert-file', tls.caFile),
          line('tls-auth-clients', 'no'),
          line('tls-replication', 'yes'),
        ]),
    line('daemonize', 'no'),
    line('dir', dir),
    line('logfile', join(dir, logName)),
  ]
}

function users(auth: RespAuth | undefined): string[] {
  if (auth === undefined) return []
  if (auth.username === undefined) return [line('requirepass', auth.password)]
  return [
    line('user', 'default', 'off'),
    line('user', auth.username, 'on', `>${auth.password}`, '~*', '&*', '+@all'),
  ]
}

/** `redis.conf` of a data node. */
export function redisConf(input: {
  readonly port: number
  readonly dir: string
  readonly shared: SharedSettings
  readonly unixSocket: boolean
  readonly cluster: boolean
  readonly replicaOf?: number | undefined
  readonly extra: readonly string[]
}): string {
  const { auth, tls } = input.shared
  return [
    '# written by @rediskit/testing startRedis()',
    ...listen(input.port, input.dir, tls, 'redis.log'),
    line('save', ''),
    line('appendonly', 'no'),
    // Disk-based full syncs: with diskless ones the primary streams nothing to a fresh replica until
    // its next REPLCONF ACK (up to a second after the link is up). The sync's RDB files are deleted,
    // so a restarted node without persistence starts empty. The delay matters only if a user
    // switches diskless sync back on.
    line('repl-diskless-sync', 'no'),
    line('repl-diskless-sync-delay', 0),
    line('rdb-del-sync-files', 'yes'),
    ...(input.unixSocket
      ? [line('unixsocket', join(input.dir, 'redis.sock')), line('unixsocketperm', 700)]
      : []),
    ...users(auth),
    ...(auth?.username === undefined ? [] : [line('masteruser', auth.username)]),
    ...(auth === undefined ? [] : [line('masterauth', auth.password)]),
    ...(input.cluster
      ? [
          line('cluster-enabled', 'yes'),
          line('cluster-config-file', join(input.dir, 'nodes.conf')),
          line('cluster-node-timeout', 2000),
          ...(tls === undefined ? [] : [line('tls-cluster', 'yes')]),
        ]
      : []),
    ...(input.replicaOf === undefined ? [] : [line('replicaof', '127.0.0.1', input.replicaOf)]),
    ...input.extra,
    '',
  ].join('\n')
}

/** `sentinel.conf` of a sentinel monitoring `primaryPort` under `masterName`. */
export function sentinelConf(input: {
  readonly port: number
  readonly dir: string
  readonly shared: SharedSettings
  readonly masterName: string
  readonly primaryPort: number
  readonly quorum: number
  readonly extra: readonly string[]
}): string {
  const { auth, tls } = input.shared
  const name = input.masterName
  return [
    '# written by @rediskit/testing startRedis()',
    ...listen(input.port, input.dir, tls, 'sentinel.log'),
    line('sentinel', 'monitor', name, '127.0.0.1', input.primaryPort, input.quorum),
    line('sentinel', 'down-after-milliseconds', name, 2000),
    line('sentinel', 'failover-timeout', name, 10000),
    line('sentinel', 'parallel-syncs', name, 1),
    ...(auth?.username === undefined ? [] : [line('sentinel', 'auth-user', name, auth.username)]),
    ...(auth === undefined ? [] : [line('sentinel', 'auth-pass', name, auth.password)]),
    ...users(auth),
    ...(auth?.username === undefined ? [] : [line('sentinel', 'sentinel-user', auth.username)]),
    ...(auth === undefined ? [] : [line('sentinel', 'sentinel-pass', auth.password)]),
    ...input.extra,
    '',
  ].join('\n')
}
