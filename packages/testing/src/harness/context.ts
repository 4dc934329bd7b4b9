import type { SharedSettings } from './config.js'
import type { Deployment } from './deployment.js'
import type { RedisTopologyName } from './types.js'
import type { Deadline } from './wait.js'

/** `StartRedisOptions` validated, with defaults applied. */
export interface ResolvedOptions {
  readonly topology: RedisTopologyName
  readonly unixSocket: boolean
  readonly config: readonly string[]
  readonly sentinelConfig: readonly string[]
  readonly replicas: number
  readonly sentinels: number
  readonly masterName: string
  readonly timeout: number
}

/** Absolute paths of the binaries a topology needs. */
export interface ResolvedBinaries {
  readonly server: string
  readonly sentinel: string | undefined
  readonly cli: string | undefined
  readonly openssl: string | undefined
}

/** Everything a topology's start function works with. */
export interface StartContext {
  readonly options: ResolvedOptions
  readonly bins: ResolvedBinaries
  readonly shared: SharedSettings
  readonly deadline: Deadline
  readonly deployment: Deployment
}
