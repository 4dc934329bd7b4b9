import { describe, expect, it } from 'vitest'
import { SingleFlight } from '../src/single-flight.js'

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('SingleFlight', () => {
  it('shares one call among concurrent callers of a key', async () => {
    const flight = new SingleFlight<number>()
    const gate = deferred<number>()
    let calls = 0
    const fn = (): Promise<number> => {
      calls++
      return gate.promise
    }
    const all = Array.from({ length: 10 }, () => flight.run('k', fn))
    expect(flight.size).toBe(1)
    expect(flight.run('other', async () => 7)).not.toBe(all[0])
    gate.resolve(42)
    expect(await Promise.all(all)).toEqual(Array(10).fill(42))
    expect(calls).toBe(1)
    await Promise.resolve()
    expect(flight.size).toBe(0)
  })

  it('hands a failure to every waiter, then forgets it', async () => {
    const flight = new SingleFlight<number>()
    const gate = deferred<number>()
    const waiters = [flight.run('k', () => gate.promise), flight.run('k', () => gate.promise)]
    gate.reject(new Error('boom'))
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('boom')
    expect(flight.get('k')).toBeUndefined()
    expect(await flight.run('k', async () => 1)).toBe(1)
  })
})
