/**
 * Redis down, under keyv 5 (keyv 6 is covered in keyv6-node24.test.ts): every Keyv call gets Keyv's
 * documented fallback (a miss, `false`, an empty iteration), 'error' is emitted on the Keyv
 * instance and the failure is logged, and no call waits past the deadline (`commandTimeout`), for
 * a killed server and for a frozen one; once Redis is back, so is the cache.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { isRediskitError } from '@rediskit/core'
import { startRedis } from '@rediskit/testing'
import type Keyv from 'keyv'
import { describe, expect, it } from 'vitest'
import { createKeyv } from '../src/index.js'

const COMMAND_TIMEOUT = 300
/** The deadline plus a generous allowance for a loaded 2-core machine. */
const BOUND = COMMAND_TIMEOUT + 500

interface Outcome {
  name: string
  result: unknown
  ms: number
}

/** Every Keyv operation that reaches the store, run at once, each timed on its own. */
async function everyCall(keyv: Keyv): Promise<Outcome[]> {
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => keyv.get('k')],
    ['getMany', () => keyv.get(['k', 'j'])],
    ['getRaw', () => keyv.getRaw('k')],
    ['set', () => keyv.set('k', 'new', 1000)],
    ['setMany', () => keyv.setMany([{ key: 'k', value: 'v' }])],
    ['has', () => keyv.has('k')],
    ['hasMany', () => keyv.hasMany(['k', 'j'])],
    ['delete', () => keyv.delete('k')],
    ['deleteMany', () => keyv.delete(['k', 'j'])],
    ['clear', () => keyv.clear()],
    [
      'iterator',
      async () => {
        const seen: unknown[] = []
        for await (const entry of keyv.iterator?.(undefined) ?? []) seen.push(entry)
        return seen
      },
    ],
  ]
  return Promise.all(
    calls.map(async ([name, call]) => {
      const started = performance.now()
      const result = await call()
      return { name, result, ms: performance.now() - started }
    }),
  )
}

const FALLBACKS: Record<string, unknown> = {
  get: undefined,
  getMany: [undefined, undefined],
  getRaw: undefined,
  set: false,
  setMany: [false],
  has: false,
  hasMany: [false, false],
  delete: false,
  deleteMany: false,
  clear: undefined,
  iterator: [],
}

/**
 * Each error is a RediskitError for a failure (connection, timeout, core's circuit breaker...), not
 * a usage error: those are thrown, never turned into fallbacks.
 */
function expectFailures(errors: readonly unknown[]): void {
  for (const error of errors) {
    expect(isRediskitError(error), String(error)).toBe(true)
    expect(['E_CONFIG', 'E_ENCODE', 'E_CLOSED']).not.toContain((error as { code: string }).code)
  }
}

/** The 'error' events of `keyv`, collected. */
function errorsOf(keyv: Keyv): unknown[] {
  const errors: unknown[] = []
  keyv.on('error', (error: unknown) => errors.push(error))
  return errors
}

/**
 * Retries a write until it succeeds (bounded): ioredis reconnects with backoff, and an open circuit
 * lets a probe through after its cool-down, so the first writes after an outage may still fail.
 */
async function eventually(write: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await write()) return true
    await delay(50)
  }
  return false
}

/** A logger that records what it is given. */
function logger(into: unknown[][]) {
  return { error: (...args: unknown[]) => into.push(args), warn: () => {}, debug: () => {} }
}

describe('Redis down (keyv 5)', () => {
  it('a killed server: fallbacks, an error event and a log line per call, nothing waits past the deadline', async () => {
    await using redis = await startRedis()
    const logged: unknown[][] = []
    const keyv = createKeyv(redis.url, { commandTimeout: COMMAND_TIMEOUT, logger: logger(logged) })
    const errors = errorsOf(keyv)
    expect(await keyv.set('k', 'v')).toBe(true)
    await redis.kill(redis.primary)

    const outcomes = await everyCall(keyv)
    for (const { name, result, ms } of outcomes) {
      expect(result, name).toEqual(FALLBACKS[name])
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(BOUND)
    }
    expect(errors.length).toBeGreaterThanOrEqual(outcomes.length)
    expectFailures(errors)
    expect(logged.length).toBe(errors.length)
    expect(String(logged[0]?.[0])).toMatch(/^@rediskit\/keyv: /)

    // Back up (empty: no persistence): the adapter works again once ioredis has reconnected.
    await redis.restart(redis.primary)
    expect(await eventually(() => keyv.set('k', 'again'))).toBe(true)
    expect(await keyv.get('k')).toBe('again')
    await keyv.disconnect()
  })

  it('a frozen server: every call falls back with E_TIMEOUT within the deadline, then works again', async () => {
    await using redis = await startRedis()
    const logged: unknown[][] = []
    const keyv = createKeyv(redis.url, { commandTimeout: COMMAND_TIMEOUT, logger: logger(logged) })
    const errors = errorsOf(keyv)
    expect(await keyv.set('k', 'v')).toBe(true)
    await redis.pause(redis.primary)
    let outcomes: Outcome[]
    try {
      outcomes = await everyCall(keyv)
    } finally {
      await redis.resume(redis.primary)
    }
    for (const { name, result, ms } of outcomes) {
      expect(result, name).toEqual(FALLBACKS[name])
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(BOUND)
    }
    expect(errors.length).toBeGreaterThanOrEqual(outcomes.length)
    expectFailures(errors)
    expect(errors.some((error) => isRediskitError(error, 'E_TIMEOUT'))).toBe(true)
    // The writes that timed out may still run once the server wakes up, so check with a fresh key.
    expect(await eventually(() => keyv.set('fresh', 'v'))).toBe(true)
    expect(await keyv.get('fresh')).toBe('v')
    await keyv.disconnect()
  })

  it('a server that never answered: the first calls fall back too (no hang while connecting)', async () => {
    const logged: unknown[][] = []
    const keyv = createKeyv('redis://127.0.0.1:1', {
      commandTimeout: COMMAND_TIMEOUT,
      logger: logger(logged),
    })
    const errors = errorsOf(keyv)
    const outcomes = await everyCall(keyv)
    for (const { name, result, ms } of outcomes) {
      expect(result, name).toEqual(FALLBACKS[name])
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(BOUND)
    }
    expect(errors.length).toBeGreaterThanOrEqual(outcomes.length)
    await keyv.disconnect()
  })
})
