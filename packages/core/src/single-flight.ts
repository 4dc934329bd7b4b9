/**
 * In-process request coalescing: while a call for a key is in flight, later calls for the same
 * key share its promise instead of starting their own. The entry is removed when the call settles,
 * so a failure is shared by everyone waiting at that moment and never remembered: the next call
 * starts afresh.
 */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>()

  /** Number of keys with a call in flight. */
  get size(): number {
    return this.#inflight.size
  }

  /** The promise of the call in flight for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.#inflight.get(key)
  }

  /**
   * Joins the call in flight for `key`, or starts `fn` (synchronously, in this tick) and registers
   * it so concurrent callers join it.
   */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    const pending = this.#inflight.get(key)
    if (pending !== undefined) return pending
    const started = fn()
    this.#inflight.set(key, started)
    const forget = (): void => {
      if (this.#inflight.get(key) === started) this.#inflight.delete(key)
    }
    started.then(forget, forget)
    return started
  }
}
