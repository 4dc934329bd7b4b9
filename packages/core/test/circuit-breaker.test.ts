import { startRedis } from '@rediskit/testing'
import { describe, expect, it, vi } from 'vitest'
import { CircuitBreaker, type CircuitChange, checkCircuitOptions } from '../src/circuit-breaker.js'
import { createCache } from '../src/create-cache.js'
import { isRediskitError, RediskitError } from '../src/errors.js'
import { ioredisDriver } from '../src/ioredis-driver.js'
import { RedisStore } from '../src/redis-store.js'
import { StandaloneTopology } from '../src/standalone.js'
import { SplitTopology } from './support/split-topology.js'

// The per-node circuit breaker: its state machine, then against a killed and a paused real
// redis-server, and one node of two.

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }
const down = (): RediskitError => new RediskitError('E_CONNECTION', 'cannot reach Redis at n1: refused')

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  )
}

function codeOf(value: unknown): string {
  return isRediskitError(value) ? value.code : `value ${String(value)}`
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive connection/timeout failures, probes after the cool-down, closes on success', async () => {
    const changes: CircuitChange[] = []
    const breaker = new CircuitBreaker('n1', { failures: 3, coolDown: 30 }, (c) => changes.push(c))
    breaker.failure(down())
    breaker.failure(new RediskitError('E_TIMEOUT', 'GET timed out'))
    breaker.success() // a success in between resets the count
    breaker.failure(down())
    breaker.failure(new RediskitError('E_REDIS', 'WRONGTYPE ...')) // the server answered: not counted
    breaker.failure(down())
    expect(breaker.state).toBe('closed')
    expect(breaker.admit('GET')).toBeUndefined()
    breaker.failure(down())
    expect(breaker.state).toBe('open')
    expect(changes).toMatchObject([{ state: 'open', node: 'n1', failures: 3, coolDown: 30 }])
    const refused = breaker.admit('GET')
    expect(refused?.code).toBe('E_CIRCUIT_OPEN')
    expect(refused?.message).toContain('the circuit to n1 is open after 3 consecutive')
    expect(refused?.message).toContain('cannot reach Redis at n1')
    // After the cool-down exactly one call goes through as the probe.
    await vi.waitFor(() => expect(breaker.admit('GET')).toBeUndefined(), { interval: 5 })
    expect(breaker.state).toBe('half-open')
    expect(breaker.admit('GET')?.message).toContain('a probe is in flight')
    breaker.failure(down()) // the probe failed: open for another cool-down
    expect(breaker.state).toBe('open')
    expect(breaker.admit('GET')?.code).toBe('E_CIRCUIT_OPEN')
    await vi.waitFor(() => expect(breaker.admit('GET')).toBeUndefined(), { interval: 5 })
    breaker.success()
    expect(breaker.state).toBe('closed')
    expect(changes.map((c) => c.state)).toEqual(['open', 'closed'])
  })

  it('counts only failures within the window', () => {
    const breaker = new CircuitBreaker('n1', { failures: 2, window: 1 }, () => {})
    breaker.failure(down())
    const until = performance.now() + 5
    while (performance.now() < until) {
      // let the 1 ms window pass
    }
    breaker.failure(down())
    expect(breaker.state).toBe('closed')
    breaker.failure(down())
    expect(breaker.state).toBe('open')
  })

  it('validates its options', () => {
    expect(checkCircuitOptions(undefined)).toEqual({})
    expect(checkCircuitOptions(false)).toBe(false)
    for (const bad of [{ failures: 0 }, { failures: 1.5 }, { window: -1 }, { coolDown: Number.NaN }, 'yes']) {
      expect(() => checkCircuitOptions(bad)).toThrow(/circuitBreaker/)
    }
    expect(() => createCache({ circuitBreaker: { coolDown: 0 } })).toThrow(/circuitBreaker.coolDown/)
  })
})

describe('circuit breaker on real servers', () => {
  it('a killed server: fails fast with E_CIRCUIT_OPEN after N failures, closes once it is back', async () => {
    await using redis = await startRedis()
    const c = createCache({
      location: redis.url,
      logger: quiet,
      commandTimeout: 500,
      circuitBreaker: { failures: 3, coolDown: 200 },
    })
    const lenient = c.namespace('ns')
    const events: string[] = []
    c.on('circuit:open', (change) => events.push(`open ${change.node}`))
    lenient.on('circuit:close', (change) => events.push(`close ${change.node}`))
    try {
      await c.set('k', 1)
      await redis.kill(redis.primary)
      const codes: string[] = []
      for (let i = 0; i < 5; i++) codes.push(codeOf(await outcome(c.get('k'))))
      expect(codes).toEqual([
        'E_CONNECTION',
        'E_CONNECTION',
        'E_CONNECTION',
        'E_CIRCUIT_OPEN',
        'E_CIRCUIT_OPEN',
      ])
      expect(events).toEqual([`open ${redis.primary.address}`])
      expect((c.store as RedisStore).circuits()).toEqual({ [redis.primary.address]: 'open' })
      await redis.restart(redis.primary)
      await vi.waitFor(async () => expect(await c.set('k', 2)).toBe(true), { timeout: 15_000, interval: 50 })
      expect(await c.get('k')).toBe(2)
      expect(events).toEqual([`open ${redis.primary.address}`, `close ${redis.primary.address}`])
    } finally {
      await c.close()
    }
  })

  it('a paused server: E_TIMEOUT N times, then misses at once under handleErrors; closes after resume', async () => {
    await using redis = await startRedis()
    const commandTimeout = 200
    const errors: RediskitError[] = []
    const warnings: string[] = []
    const logged: string[] = []
    // The driver's deadline is shorter than the cache's, so the breaker has counted each timeout
    // before the cache call that saw it returns (with equal deadlines it may count it a moment later).
    const store = new RedisStore(
      new StandaloneTopology(ioredisDriver(redis.url, { commandTimeout: commandTimeout / 2 })),
      {
        circuitBreaker: { failures: 2, coolDown: 300 },
      },
    )
    const c = createCache({
      store,
      handleErrors: true,
      commandTimeout,
      logger: {
        ...quiet,
        warn: (message: unknown) => warnings.push(String(message)),
        error: (message: unknown) => logged.push(String(message)),
      },
    })
    c.on('error', (error) => errors.push(error))
    try {
      await c.set('k', 'v')
      await redis.pause(redis.primary)
      expect(await c.get('k')).toBeUndefined()
      expect(await c.get('k')).toBeUndefined()
      const started = performance.now()
      expect(await c.get('k')).toBeUndefined()
      expect(await c.set('k', 'w')).toBe(false)
      // Fail fast: well under one commandTimeout for both calls.
      expect(performance.now() - started).toBeLessThan(commandTimeout)
      expect(errors.map((e) => e.code)).toEqual([
        'E_TIMEOUT',
        'E_TIMEOUT',
        'E_CIRCUIT_OPEN',
        'E_CIRCUIT_OPEN',
      ])
      // Logged: the two timeouts and the opening, not every fast failure.
      expect(logged).toHaveLength(2)
      expect(warnings.filter((w) => w.includes('opened'))).toHaveLength(1)
      await redis.resume(redis.primary)
      await vi.waitFor(async () => expect(await c.get('k')).toBe('v'), { timeout: 15_000, interval: 50 })
      expect(warnings.filter((w) => w.includes('closed'))).toHaveLength(1)
    } finally {
      await c.close()
      await store.close()
    }
  })

  it('opens only the circuit of the failing node', async () => {
    await using a = await startRedis()
    await using b = await startRedis()
    const store = new RedisStore(
      new SplitTopology(
        ioredisDriver(a.url, { commandTimeout: 300 }),
        ioredisDriver(b.url, { commandTimeout: 300 }),
      ),
      { circuitBreaker: { failures: 2, coolDown: 60_000 } },
    )
    const c = createCache({ store, logger: quiet })
    try {
      await c.setMany([
        ['a1', 1],
        ['b1', 2],
      ])
      await b.kill(b.primary)
      for (let i = 0; i < 3; i++) await outcome(c.get('b1'))
      expect(store.circuits()).toEqual({ [a.primary.address]: 'closed', [b.primary.address]: 'open' })
      const [onA, onB] = await Promise.all([outcome(c.get('a1')), outcome(c.get('b1'))])
      expect(onA).toBe(1)
      expect(codeOf(onB)).toBe('E_CIRCUIT_OPEN')
      expect(codeOf(await outcome(c.getMany(['a1', 'b1'])))).toBe('E_CIRCUIT_OPEN')
    } finally {
      await c.close()
      await store.close()
    }
  })

  it('circuitBreaker: false never fails fast', async () => {
    await using redis = await startRedis()
    const c = createCache({ location: redis.url, logger: quiet, circuitBreaker: false, commandTimeout: 300 })
    try {
      await c.set('k', 1)
      await redis.kill(redis.primary)
      const codes: string[] = []
      for (let i = 0; i < 15; i++) codes.push(codeOf(await outcome(c.get('k'))))
      expect(new Set(codes)).toEqual(new Set(['E_CONNECTION']))
    } finally {
      await c.close()
    }
  })
})
