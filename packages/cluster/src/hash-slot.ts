import calculateSlot from 'cluster-key-slot'

/**
 * The Redis Cluster hash slot of a key, 0..16383: CRC16 of the key, or of its hash tag (the part
 * between the first `{` and the next `}`, when not empty), modulo 16384. Keys with the same tag
 * share a slot, so multi-key commands over them need no splitting.
 *
 * ```ts
 * hashSlot('{user:42}:profile') === hashSlot('{user:42}:settings') // true
 * ```
 */
export function hashSlot(key: string | Buffer): number {
  return calculateSlot(key)
}
