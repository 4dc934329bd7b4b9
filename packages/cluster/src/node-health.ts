/** How long a node that failed is skipped for replica reads (ms). */
export const REPLICA_BACKOFF = 5000

/**
 * Which nodes failed recently, by address ('host:port'). The replica-read router skips them for
 * {@link REPLICA_BACKOFF} ms: after a replica dies, ioredis re-creates its connection at each
 * slot-map refresh until the cluster drops it from the map, and without this each read would try
 * the dead replica again (and wait out ioredis's retry delays) before landing on the primary.
 */
export class NodeHealth {
  readonly #failedAt = new Map<string, number>()
  readonly #backoff: number

  constructor(backoff = REPLICA_BACKOFF) {
    this.#backoff = backoff
  }

  /** Records a failure of the node at `address` (a connection error, or its connection ended). */
  failed(address: string): void {
    this.#failedAt.set(address, Date.now())
  }

  /** True unless the node failed within the backoff. */
  healthy(address: string): boolean {
    const at = this.#failedAt.get(address)
    if (at === undefined) return true
    if (Date.now() - at < this.#backoff) return false
    this.#failedAt.delete(address)
    return true
  }
}
