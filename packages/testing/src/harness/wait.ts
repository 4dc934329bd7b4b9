import { setTimeout as delay } from 'node:timers/promises'
import { HarnessError } from './errors.js'

/** An absolute point in time that several waits share. */
export class Deadline {
  readonly at: number
  readonly ms: number

  constructor(ms: number) {
    this.ms = ms
    this.at = Date.now() + ms
  }

  remaining(): number {
    return Math.max(0, this.at - Date.now())
  }

  /** A per-request timeout: `cap` ms, but never past the deadline (and at least 50 ms). */
  slice(cap: number): number {
    return Math.max(50, Math.min(cap, this.remaining()))
  }
}

/**
 * Result of one readiness check: `true` when the awaited state is reached, otherwise a short
 * description of what was seen (it ends up in the timeout error).
 */
export type CheckResult = true | string

/**
 * Polls `check` until it returns `true`. A check that throws counts as "not yet" (its message is
 * remembered). Rejects with `E_HARNESS_TIMEOUT` at the deadline, or with the error `failIf`
 * returns (e.g. the process exited while we waited), which is asked before every check.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<CheckResult>,
  deadline: Deadline,
  options: { interval?: number; failIf?: () => Error | undefined } = {},
): Promise<void> {
  const interval = options.interval ?? 50
  let last = 'not checked yet'
  for (;;) {
    const failure = options.failIf?.()
    if (failure !== undefined) throw failure
    try {
      const result = await check()
      if (result === true) return
      last = result
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    if (deadline.remaining() <= 0) {
      throw new HarnessError(
        'E_HARNESS_TIMEOUT',
        `timed out after ${deadline.ms} ms waiting for ${what}; last seen: ${last}`,
      )
    }
    await delay(Math.min(interval, deadline.remaining()))
  }
}
