export type { HashRingOptions, RingNode } from './hash-ring.js'
export { HashRing } from './hash-ring.js'
