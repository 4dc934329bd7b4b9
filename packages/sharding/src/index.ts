export type { HashRingOptions, RingNode } from './hash-ring.js'
export { HashRing } from './hash-ring.js'
export type { ShardedOptions, ShardNode } from './sharded.js'
export { ShardedTopology, sharded } from './sharded.js'
