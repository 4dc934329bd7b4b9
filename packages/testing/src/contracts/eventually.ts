import { setTimeout as delay } from 'node:timers/promises'

/**
 * Polls `check` until it returns true (waiting on a condition, not for a fixed time); rejects with
 * `what` and the last error once `timeout` ms have passed.
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeout = 5000,
  interval = 10,
): Promise<void> {
  const until = Date.now() + timeout
  let last: unknown
  for (;;) {
    try {
      if (await check()) return
      last = undefined
    } catch (error) {
      last = error
    }
    if (Date.now() >= until) {
      const reason = last instanceof Error ? `: ${last.message}` : ''
      throw new Error(`timed out after ${timeout} ms waiting until ${what}${reason}`)
    }
    await delay(interval)
  }
}
