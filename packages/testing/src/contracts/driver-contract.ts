import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { inspect } from 'node:util'
import type { Driver, RediskitError } from '@rediskit/core'
import { startRedis } from '../harness/start-redis.js'
import type { RedisDeployment } from '../harness/types.js'
import { eventually } from './eventually.js'
import type { ContractTestApi } from './test-api.js'

/**
 * A RediskitError from any copy of core. @rediskit/testing links to core by types only (so the
 * workspace graph has no cycle), so it checks core's brand instead of importing `isRediskitError`.
 */
function isRediskitError(value: unknown, code?: string): value is RediskitError {
  if (typeof value !== 'object' || value === null) return false
  if ((value as Record<symbol, unknown>)[Symbol.for('rediskit.error')] !== true) return false
  return code === undefined || (value as RediskitError).code === code
}

/** Options a driver factory receives. */
export interface DriverFactoryOptions {
  commandTimeout?: number
  connectTimeout?: number
}

/** Creates a driver for one location (lazy: it must not connect before the first command). */
export type DriverFactory = (location: string, options: DriverFactoryOptions) => Driver

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** The rejection of `promise`, asserted to be a RediskitError. */
async function failure(promise: Promise<unknown>): Promise<RediskitError> {
  try {
    await promise
  } catch (error) {
    assert.ok(isRediskitError(error), `expected a RediskitError, got ${String(error)}`)
    return error as RediskitError
  }
  throw new Error('expected a rejection')
}

/**
 * What every rediskit Driver does, on real servers: replies as Buffers / numbers / null, batches
 * with per-command errors, E_* codes, deadlines, fail-fast while down, recovery, secrets kept out
 * of messages and inspect output. It starts its own servers with `startRedis()`.
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { driverContract } from '@rediskit/testing'
 * driverContract(vitest, 'my driver', (location, options) => myDriver(location, options))
 * ```
 */
export function driverContract(api: ContractTestApi, name: string, factory: DriverFactory): void {
  const { describe, it, beforeAll, afterAll } = api
  describe(`Driver contract: ${name}`, () => {
    let redis: RedisDeployment | undefined
    const run = randomUUID().slice(0, 8)
    let counter = 0
    const ns = (): string => `rk-driver:${run}:${++counter}:`
    const server = (): RedisDeployment => {
      if (redis === undefined) throw new Error('the server did not start (see the beforeAll error)')
      return redis
    }
    /** A driver for the shared server, closed after `body`. */
    const withDriver = async (
      body: (driver: Driver) => Promise<void>,
      options: DriverFactoryOptions = {},
    ): Promise<void> => {
      const driver = factory(server().url, { commandTimeout: 2000, ...options })
      try {
        await body(driver)
      } finally {
        await driver.close()
      }
    }

    beforeAll(async () => {
      redis = await startRedis()
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('send: bulk strings as Buffers, integers as numbers, nil as null, arrays as arrays', async () => {
      await withDriver(async (driver) => {
        const p = ns()
        assert.equal(String(await driver.send('SET', [`${p}a`, Buffer.from([0xff, 0, 0x0d, 0x0a])])), 'OK')
        assert.deepEqual(await driver.send('GET', [`${p}a`]), Buffer.from([0xff, 0, 0x0d, 0x0a]))
        assert.equal(await driver.send('get', [`${p}missing`]), null)
        assert.equal(await driver.send('INCRBY', [`${p}n`, 5]), 5)
        assert.equal(await driver.send('PTTL', [`${p}n`]), -1)
        assert.deepEqual(await driver.send('MGET', [`${p}a`, `${p}missing`]), [
          Buffer.from([0xff, 0, 0x0d, 0x0a]),
          null,
        ])
        const scan = await driver.send('SCAN', ['0', 'MATCH', `${p}*`, 'COUNT', 100])
        assert.ok(Array.isArray(scan) && scan.length === 2)
        assert.equal(driver.id, server().primary.address)
      })
    })

    it('send: an empty value and a 4 MiB value come back byte for byte', async () => {
      await withDriver(async (driver) => {
        const p = ns()
        await driver.send('SET', [`${p}empty`, Buffer.alloc(0)])
        const empty = await driver.send('GET', [`${p}empty`])
        assert.ok(Buffer.isBuffer(empty) && empty.length === 0)
        const big = Buffer.alloc(4 * 1024 * 1024, 0x5a)
        big.write('\r\n$-1\r\n', 12345)
        await driver.send('SET', [`${p}big`, big])
        const back = await driver.send('GET', [`${p}big`])
        assert.ok(Buffer.isBuffer(back) && back.equals(big))
      })
    })

    it('batch: one entry per command, a failing command reported in place', async () => {
      await withDriver(async (driver) => {
        const p = ns()
        const results = await driver.batch([
          ['SET', `${p}x`, 'abc'],
          ['INCR', `${p}x`],
          ['GET', `${p}x`],
          ['MGET', `${p}x`, `${p}none`],
        ])
        assert.equal(String(results[0]), 'OK')
        assert.ok(isRediskitError(results[1], 'E_REDIS'))
        assert.match((results[1] as Error).message, /not an integer/)
        assert.deepEqual(results[2], Buffer.from('abc'))
        assert.deepEqual(results[3], [Buffer.from('abc'), null])
        assert.deepEqual(await driver.batch([]), [])
      })
    })

    it('an error reply is E_REDIS with the reply as message, node and command in details', async () => {
      await withDriver(async (driver) => {
        const p = ns()
        await driver.send('SET', [`${p}s`, 'text'])
        const error = await failure(driver.send('LPUSH', [`${p}s`, 'x']))
        assert.equal(error.code, 'E_REDIS')
        assert.match(error.message, /^WRONGTYPE/)
        assert.deepEqual(error.details, { node: server().primary.address, command: 'LPUSH' })
        // The connection is fine afterwards.
        assert.deepEqual(await driver.send('GET', [`${p}s`]), Buffer.from('text'))
      })
    })

    it('1000 concurrent commands, sends and batches mixed, settle in order with the right replies', async () => {
      await withDriver(async (driver) => {
        const p = ns()
        const pending: Promise<unknown>[] = []
        for (let i = 0; i < 1000; i++) {
          pending.push(
            i % 10 === 0
              ? driver.batch([['INCR', `${p}c`]]).then((r) => r[0])
              : driver.send('INCR', [`${p}c`]),
          )
        }
        const results = await Promise.all(pending)
        assert.deepEqual(
          results,
          Array.from({ length: 1000 }, (_, i) => i + 1),
        )
      })
    })

    it('after close: E_CLOSED; close is idempotent; closing a never-used driver is fine', async () => {
      const driver = factory(server().url, {})
      await driver.send('PING', [])
      await driver.close()
      await driver.close()
      assert.equal((await failure(driver.send('GET', ['x']))).code, 'E_CLOSED')
      assert.equal((await failure(driver.batch([['GET', 'x']]))).code, 'E_CLOSED')
      await factory(server().url, {}).close()
    })

    it('an unreachable server: creating neither blocks nor throws; commands fail fast with E_CONNECTION', async () => {
      const port = await closedPort()
      const driver = factory(`redis://127.0.0.1:${port}`, { commandTimeout: 5000 })
      try {
        const started = performance.now()
        const error = await failure(driver.send('GET', ['k']))
        assert.equal(error.code, 'E_CONNECTION')
        assert.match(
          error.message,
          new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
        )
        assert.ok(performance.now() - started < 2000, 'refused connections fail at once, not at the deadline')
        assert.equal((await failure(driver.send('GET', ['k']))).code, 'E_CONNECTION')
        assert.equal((await failure(driver.batch([['GET', 'k']]))).code, 'E_CONNECTION')
      } finally {
        await driver.close()
      }
    })

    it('wrong credentials: E_CONNECTION naming the authentication failure, never the password', async () => {
      const secret = 'Sup3r-S3cret-pw'
      const wrong = 'Wr0ng-Guess-pw'
      await using guarded = await startRedis({ password: secret })
      const driver = factory(`redis://:${wrong}@${guarded.primary.address}/0`, {})
      try {
        const error = await failure(driver.send('GET', ['k']))
        assert.equal(error.code, 'E_CONNECTION')
        assert.match(
          error.message,
          new RegExp(`authentication to Redis at ${guarded.primary.address} failed`),
        )
        for (const text of [
          error.message,
          String(error.stack),
          inspect(error, { depth: 10, showHidden: true }),
        ]) {
          assert.ok(!text.includes(wrong) && !text.includes(secret), text)
        }
        assert.equal((await failure(driver.send('GET', ['k']))).code, 'E_CONNECTION')
      } finally {
        await driver.close()
      }
      const right = factory(`redis://:${secret}@${guarded.primary.address}/0`, {})
      try {
        assert.equal(String(await right.send('PING', [])), 'PONG')
        for (const text of [
          inspect(right),
          inspect(right, { showHidden: true, depth: 5 }),
          JSON.stringify(right),
        ]) {
          assert.ok(!text.includes(secret), text)
        }
      } finally {
        await right.close()
      }
    })

    it('a frozen server: E_TIMEOUT within commandTimeout + 100 ms, for send and batch; after resume it answers again', async () => {
      await using frozen = await startRedis()
      const commandTimeout = 300
      const driver = factory(frozen.url, { commandTimeout })
      try {
        await driver.send('SET', ['p:k', 'v'])
        await frozen.pause(frozen.primary)
        for (const op of [
          () => driver.send('GET', ['p:k']),
          () => driver.batch([['GET', 'p:k']]).then((r) => r[0]),
        ]) {
          const started = performance.now()
          const outcome = await op().then(
            (value) => value,
            (error: unknown) => error,
          )
          const elapsed = performance.now() - started
          assert.ok(isRediskitError(outcome, 'E_TIMEOUT'), String(outcome))
          assert.match((outcome as Error).message, new RegExp(`timed out after ${commandTimeout} ms`))
          assert.ok(elapsed < commandTimeout + 100, `took ${elapsed} ms`)
        }
        await frozen.resume(frozen.primary)
        assert.deepEqual(await driver.send('GET', ['p:k']), Buffer.from('v'))
      } finally {
        await driver.close()
      }
    })

    it('a server frozen at connect time: the first command times out; after resume the driver answers', async () => {
      await using frozen = await startRedis()
      await frozen.pause(frozen.primary)
      const driver = factory(frozen.url, { commandTimeout: 200, connectTimeout: 5000 })
      try {
        const started = performance.now()
        assert.equal((await failure(driver.send('GET', ['k']))).code, 'E_TIMEOUT')
        assert.ok(performance.now() - started < 300)
        await frozen.resume(frozen.primary)
        await eventually(
          'the driver answers after resume',
          async () => (await driver.send('PING', [])) !== null,
        )
      } finally {
        await driver.close()
      }
    })

    it('a killed server: fast E_CONNECTION while down, recovery by itself after restart, no unhandled rejection', async () => {
      const unhandled: unknown[] = []
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason)
      }
      process.on('unhandledRejection', onUnhandled)
      await using killed = await startRedis()
      const driver = factory(killed.url, { commandTimeout: 2000 })
      try {
        await driver.send('SET', ['r:k', 'v'])
        await killed.kill(killed.primary)
        await eventually('the driver sees the connection drop', async () => {
          const outcome = await driver.send('PING', []).then(
            () => undefined,
            (error: unknown) => error,
          )
          return isRediskitError(outcome, 'E_CONNECTION')
        })
        for (let i = 0; i < 20; i++) void driver.send('GET', ['r:k']).catch(() => undefined)
        const started = performance.now()
        const error = await failure(driver.send('GET', ['r:k']))
        assert.equal(error.code, 'E_CONNECTION')
        assert.ok(performance.now() - started < 1000, 'fails fast while down')
        assert.match(error.message, new RegExp(`Redis at ${killed.primary.address}`))
        await killed.restart(killed.primary)
        await eventually(
          'the driver reconnects by itself',
          async () => String(await driver.send('SET', ['r:k2', 'v'])) === 'OK',
          10_000,
          50,
        )
      } finally {
        await driver.close()
        process.off('unhandledRejection', onUnhandled)
      }
      assert.deepEqual(unhandled, [])
    })
  })
}
