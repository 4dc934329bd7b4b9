/**
 * Closed-loop load: `concurrency` callers in one process, each awaiting its operation before
 * starting the next, for a fixed time. Reports operations per second and per-operation latency
 * percentiles (every operation is timed; the clock reads cost the same for every contender).
 */
export interface LoadResult {
  opsPerSec: number
  /** Milliseconds. */
  p50: number
  p99: number
  ops: number
}

export interface LoadOptions {
  concurrency: number
  /** Measured time (ms). */
  timeMs: number
  /** Unmeasured warm-up (ms): JIT, connections, caches. */
  warmupMs: number
}

/** Latency samples kept per run (a ring: the most recent ones). */
const SAMPLES = 1 << 20

const samples = new Float64Array(SAMPLES)

/** Runs `op(caller, n)` (the caller's index and its operation count) in a closed loop. */
export async function runLoad(
  op: (caller: number, n: number) => Promise<unknown>,
  options: LoadOptions,
): Promise<LoadResult> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup'
  let ops = 0
  let recorded = 0
  const caller = async (index: number): Promise<void> => {
    let n = 0
    while (phase !== 'stop') {
      const started = performance.now()
      await op(index, n++)
      if (phase === 'measure') {
        samples[recorded++ & (SAMPLES - 1)] = performance.now() - started
        ops++
      }
    }
  }
  const callers = Array.from({ length: options.concurrency }, (_, i) => caller(i))
  await delay(options.warmupMs)
  phase = 'measure'
  const start = performance.now()
  await delay(options.timeMs)
  const elapsed = performance.now() - start
  const measured = ops
  phase = 'stop'
  await Promise.all(callers)
  const n = Math.min(recorded, SAMPLES)
  const sorted = samples.slice(0, n).sort()
  return {
    opsPerSec: (measured * 1000) / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    ops: measured,
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
