export { cluster } from './cluster.js'
export type {
  ClusterNodeAddress,
  ClusterOptions,
  IoredisClusterExtras,
  ScaleReads,
} from './cluster-options.js'
export { ClusterTopology } from './cluster-topology.js'
export { hashSlot } from './hash-slot.js'
export { ShardDriver } from './shard-driver.js'
