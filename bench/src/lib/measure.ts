/** What one measured contender did. */
export interface Measurement {
  name: string
  opsPerSec: number
  /** Extra columns, e.g. stored bytes. */
  extra?: Record<string, string | number>
}

export interface MeasureOptions {
  /** Warm-up time before measuring (JIT, connections). Default 300 ms. */
  warmupMs?: number
  /** How long to measure. Default 1500 ms, or BENCH_TIME_MS. */
  timeMs?: number
}

const defaultTime = Number(process.env.BENCH_TIME_MS ?? 1500)

/**
 * Runs `batch` (which performs `opsPerBatch` operations) repeatedly for a fixed time and returns
 * operations per second. Awaiting whole batches keeps the measurement honest for async work:
 * every operation has finished before the clock is read.
 */
export async function measure(
  name: string,
  opsPerBatch: number,
  batch: () => unknown | Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const warmupMs = options.warmupMs ?? 300
  const timeMs = options.timeMs ?? defaultTime
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) await batch()
  let ops = 0
  const start = performance.now()
  const end = start + timeMs
  let now = start
  while (now < end) {
    await batch()
    ops += opsPerBatch
    now = performance.now()
  }
  return { name, opsPerSec: (ops * 1000) / (now - start) }
}
