/** Latency of one kind of operation, in milliseconds. */
export interface OpLatency {
  /** Operations completed (successes and failures). */
  count: number
  mean: number
  /** Percentiles over the most recent operations (a fixed window of samples). */
  p50: number
  p99: number
  max: number
}

/** A snapshot of a cache's counters (see `cache.stats()`). */
export interface CacheStats {
  hits: number
  misses: number
  /** hits / (hits + misses), 0 before any read. */
  hitRatio: number
  sets: number
  deletes: number
  /** Failures of any kind, decode errors included. */
  errors: number
  /** Per operation name ('get', 'set', 'getMany', ...), only operations that ran. */
  latency: Record<string, OpLatency>
}

const WINDOW = 256

/** Per-op latency: a count, a sum, a max and a ring of the last {@link WINDOW} samples. */
class LatencyTracker {
  count = 0
  total = 0
  max = 0
  readonly samples = new Float64Array(WINDOW)

  record(ms: number): void {
    this.samples[this.count % WINDOW] = ms
    this.count++
    this.total += ms
    if (ms > this.max) this.max = ms
  }

  snapshot(): OpLatency {
    const n = Math.min(this.count, WINDOW)
    const sorted = this.samples.slice(0, n).sort()
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.total / this.count,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: this.max,
    }
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

/**
 * The counters behind `cache.stats()`. Recording is a few number updates and one typed-array
 * write: no allocation on the hot path.
 */
export class Stats {
  hits = 0
  misses = 0
  sets = 0
  deletes = 0
  errors = 0
  readonly #latency = new Map<string, LatencyTracker>()

  /** Records that operation `op` took `ms` milliseconds. */
  record(op: string, ms: number): void {
    let tracker = this.#latency.get(op)
    if (tracker === undefined) {
      tracker = new LatencyTracker()
      this.#latency.set(op, tracker)
    }
    tracker.record(ms)
  }

  snapshot(): CacheStats {
    const latency: Record<string, OpLatency> = {}
    for (const [op, tracker] of this.#latency) latency[op] = tracker.snapshot()
    const reads = this.hits + this.misses
    return {
      hits: this.hits,
      misses: this.misses,
      hitRatio: reads === 0 ? 0 : this.hits / reads,
      sets: this.sets,
      deletes: this.deletes,
      errors: this.errors,
      latency,
    }
  }

  reset(): void {
    this.hits = 0
    this.misses = 0
    this.sets = 0
    this.deletes = 0
    this.errors = 0
    this.#latency.clear()
  }
}
