import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Deadlines, withDeadline } from '../src/deadline.js'
import { isRediskitError } from '../src/errors.js'

const never = <T>(): Promise<T> => new Promise<T>(() => {})
const refTimers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length

let unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}
beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

async function timing(promise: Promise<unknown>): Promise<{ error: unknown; elapsed: number }> {
  const started = performance.now()
  try {
    await promise
  } catch (error) {
    return { error, elapsed: performance.now() - started }
  }
  throw new Error('expected a rejection')
}

describe('Deadlines (one timer for many calls)', () => {
  it('passes values and errors through', async () => {
    const deadlines = new Deadlines(1000)
    expect(await deadlines.track(Promise.resolve(7), 'op')).toBe(7)
    await expect(deadlines.track(Promise.reject(new Error('boom')), 'op')).rejects.toThrow('boom')
  })

  it('rejects a call that never settles with E_TIMEOUT naming op and key', async () => {
    const deadlines = new Deadlines(40)
    const { error, elapsed } = await timing(deadlines.track(never(), 'get', 'user:1'))
    expect(isRediskitError(error, 'E_TIMEOUT')).toBe(true)
    expect((error as Error).message).toBe('get "user:1" did not finish within 40 ms (commandTimeout)')
    expect(elapsed).toBeGreaterThanOrEqual(30) // not early (a generous margin for a loaded machine)
    expect(elapsed).toBeLessThan(40 + 500)
  })

  it('begin/end: callback deadlines for the hot path', async () => {
    const deadlines = new Deadlines(30)
    const timedOut: unknown[] = []
    const inTime = deadlines.begin((error) => timedOut.push(error), 'get', 'a', performance.now())
    expect(deadlines.end(inTime)).toBe(true)
    expect(deadlines.end(inTime)).toBe(false)
    const late = deadlines.begin((error) => timedOut.push(error), 'get', 'b', performance.now())
    await new Promise<void>((resolve) => {
      const poll = (): void => {
        if (timedOut.length > 0) resolve()
        else setTimeout(poll, 5)
      }
      poll()
    })
    expect(timedOut).toHaveLength(1)
    expect(isRediskitError(timedOut[0], 'E_TIMEOUT')).toBe(true)
    expect((timedOut[0] as Error).message).toBe('get "b" did not finish within 30 ms (commandTimeout)')
    expect(deadlines.end(late)).toBe(false)
  })

  it('gives each call its own deadline, measured from its start, in any settle order', async () => {
    const deadlines = new Deadlines(60)
    let release!: (value: string) => void
    const slow = new Promise<string>((resolve) => {
      release = resolve
    })
    const first = timing(deadlines.track(never(), 'first'))
    const fast = deadlines.track(Promise.resolve('fast'), 'fast')
    const middle = deadlines.track(slow, 'middle')
    // Not a synchronisation: the scenario needs a call that starts 30 ms after the first one.
    await new Promise((resolve) => setTimeout(resolve, 30))
    const late = timing(deadlines.track(never(), 'late'))
    release('middle')
    expect(await fast).toBe('fast')
    expect(await middle).toBe('middle')
    const a = await first
    const b = await late
    expect(isRediskitError(a.error, 'E_TIMEOUT') && isRediskitError(b.error, 'E_TIMEOUT')).toBe(true)
    expect(a.elapsed).toBeGreaterThanOrEqual(58)
    expect(b.elapsed).toBeGreaterThanOrEqual(58) // not cut short by the first call's timer
  })

  it('ignores a late answer and absorbs a late rejection', async () => {
    const deadlines = new Deadlines(20)
    let fail!: (error: unknown) => void
    const late = new Promise<never>((_, reject) => {
      fail = reject
    })
    const { error } = await timing(deadlines.track(late, 'op'))
    expect(isRediskitError(error, 'E_TIMEOUT')).toBe(true)
    fail(new Error('too late'))
  })

  it('holds the process only while a call is pending', async () => {
    const before = refTimers()
    const deadlines = new Deadlines(60_000)
    let release!: () => void
    const pending = deadlines.track(
      new Promise<void>((resolve) => {
        release = resolve
      }),
      'op',
    )
    expect(refTimers()).toBe(before + 1)
    release()
    await pending
    expect(refTimers()).toBe(before)
    for (let i = 0; i < 100; i++) await deadlines.track(Promise.resolve(i), 'op')
    expect(refTimers()).toBe(before)
  })
})

describe('withDeadline (one timer per call)', () => {
  it('resolves, rejects, or times out, clearing its timer', async () => {
    const before = refTimers()
    expect(await withDeadline(Promise.resolve(1), 1000, 'op')).toBe(1)
    await expect(withDeadline(Promise.reject(new Error('x')), 1000, 'op')).rejects.toThrow('x')
    expect(refTimers()).toBe(before)
    const { error } = await timing(withDeadline(never(), 20, 'close'))
    expect((error as Error).message).toBe('close did not finish within 20 ms (commandTimeout)')
  })
})
