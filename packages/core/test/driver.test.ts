import { createServer } from 'node:net'
import { inspect } from 'node:util'
import { eventually, type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IoredisDriver, ioredisDriver, isRediskitError, type RediskitError } from '../src/index.js'

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function failure(promise: Promise<unknown>): Promise<RediskitError> {
  try {
    await promise
  } catch (error) {
    expect(isRediskitError(error)).toBe(true)
    return error as RediskitError
  }
  throw new Error('expected a rejection')
}

describe('ioredis driver', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('send returns bulk strings as Buffers, integers as numbers, nil as null', async () => {
    const driver = ioredisDriver(redis.url)
    try {
      expect(String(await driver.send('SET', ['d:a', Buffer.from([0xff, 0, 1])]))).toBe('OK')
      expect(await driver.send('GET', ['d:a'])).toEqual(Buffer.from([0xff, 0, 1]))
      expect(await driver.send('get', ['d:missing'])).toBeNull()
      expect(await driver.send('INCRBY', ['d:n', 5])).toBe(5)
      expect(await driver.send('PTTL', ['d:n'])).toBe(-1)
      const scan = await driver.send('SCAN', ['0', 'MATCH', 'd:*', 'COUNT', 100])
      expect(Array.isArray(scan)).toBe(true)
      expect(driver.id).toBe(redis.primary.address)
    } finally {
      await driver.close()
    }
  })

  it('batch pipelines and reports a failing command in place', async () => {
    const driver = ioredisDriver(redis.url)
    try {
      const results = await driver.batch([
        ['SET', 'b:x', 'abc'],
        ['INCR', 'b:x'],
        ['GET', 'b:x'],
        ['MGET', 'b:x', 'b:none'],
      ])
      expect(String(results[0])).toBe('OK')
      expect(isRediskitError(results[1], 'E_REDIS')).toBe(true)
      expect((results[1] as Error).message).toMatch(/not an integer/)
      expect(results[2]).toEqual(Buffer.from('abc'))
      expect(results[3]).toEqual([Buffer.from('abc'), null])
      expect(await driver.batch([])).toEqual([])
    } finally {
      await driver.close()
    }
  })

  it('an error reply is E_REDIS with the reply as message, node and command in details', async () => {
    const driver = ioredisDriver(redis.url)
    try {
      await driver.send('SET', ['e:s', 'text'])
      const error = await failure(driver.send('LPUSH', ['e:s', 'x']))
      expect(error.code).toBe('E_REDIS')
      expect(error.message).toMatch(/^WRONGTYPE/)
      expect(error.details).toEqual({ node: redis.primary.address, command: 'LPUSH' })
    } finally {
      await driver.close()
    }
  })

  it('after close: E_CLOSED; close is idempotent', async () => {
    const driver = ioredisDriver(redis.url)
    await driver.send('PING', [])
    await driver.close()
    await driver.close()
    expect((await failure(driver.send('GET', ['x']))).code).toBe('E_CLOSED')
    expect((await failure(driver.batch([['GET', 'x']]))).code).toBe('E_CLOSED')
    expect(driver.client.status).toBe('end')
  })

  it('is lazy: creating never connects; closing a never-used driver is fine', async () => {
    const driver = ioredisDriver(redis.url)
    expect(driver.client.status).toBe('wait')
    await driver.close()
  })

  it('creating a driver for an unreachable server neither blocks nor throws; commands fail fast with E_CONNECTION', async () => {
    const port = await closedPort()
    const driver = ioredisDriver(`redis://127.0.0.1:${port}`, { commandTimeout: 5000 })
    try {
      const started = Date.now()
      const error = await failure(driver.send('GET', ['k']))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(
        new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
      )
      // Refused connections fail at once, not at the 5 s deadline.
      expect(Date.now() - started).toBeLessThan(2000)
      const again = await failure(driver.send('GET', ['k']))
      expect(again.code).toBe('E_CONNECTION')
    } finally {
      await driver.close()
    }
    // localhost: Node tries ::1 and 127.0.0.1; the message still says why.
    const local = ioredisDriver(`redis://localhost:${port}`)
    try {
      const error = await failure(local.send('GET', ['k']))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(new RegExp(`cannot reach Redis at localhost:${port}: .*ECONNREFUSED`))
    } finally {
      await local.close()
    }
  })

  it('wraps a client it was given and never closes it', async () => {
    const client = new Redis(redis.primary.port, '127.0.0.1', { lazyConnect: true })
    const errors: Error[] = []
    client.on('error', (error: Error) => errors.push(error))
    const driver = new IoredisDriver(client)
    expect(driver.client).toBe(client)
    expect(driver.id).toBe(redis.primary.address)
    await driver.send('SET', ['w:k', 'v'])
    await driver.close()
    expect((await failure(driver.send('GET', ['w:k']))).code).toBe('E_CLOSED')
    expect(client.status).toBe('ready')
    expect(await client.get('w:k')).toBe('v')
    expect(client.listenerCount('error')).toBe(1)
    await client.quit()
  })

  it('a client given without commandTimeout still gets a deadline', async () => {
    const paused = await startRedis()
    const client = new Redis(paused.primary.port, '127.0.0.1', { lazyConnect: true })
    const driver = new IoredisDriver(client, { commandTimeout: 200 })
    try {
      await driver.send('PING', [])
      await paused.pause(paused.primary)
      expect((await failure(driver.send('GET', ['k']))).code).toBe('E_TIMEOUT')
    } finally {
      await driver.close()
      client.disconnect()
      await paused.stop()
    }
  })

  it('inspect and JSON show the endpoint, never the password', async () => {
    const driver = ioredisDriver('redis://app:Sup3r-S3cret@127.0.0.1:1/0')
    for (const text of [
      inspect(driver),
      inspect(driver, { showHidden: true, depth: 5 }),
      JSON.stringify(driver),
    ]) {
      expect(text).not.toContain('Sup3r-S3cret')
      expect(text).toContain('127.0.0.1:1')
    }
    await driver.close()
  })
})

describe('ioredis driver: deadlines and recovery on a real server', () => {
  it('a frozen server: E_TIMEOUT within commandTimeout + 100 ms; after resume it answers again', async () => {
    await using redis = await startRedis()
    const commandTimeout = 300
    const driver = ioredisDriver(redis.url, { commandTimeout })
    try {
      await driver.send('SET', ['p:k', 'v'])
      await redis.pause(redis.primary)
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
        const error = outcome instanceof Error ? outcome : undefined
        expect(isRediskitError(error, 'E_TIMEOUT'), String(outcome)).toBe(true)
        expect(error?.message).toMatch(`timed out after ${commandTimeout} ms`)
        expect(elapsed).toBeLessThan(commandTimeout + 100)
      }
      await redis.resume(redis.primary)
      expect(await driver.send('GET', ['p:k'])).toEqual(Buffer.from('v'))
    } finally {
      await driver.close()
    }
  })

  it('a frozen server at connect time: the first command times out too', async () => {
    await using redis = await startRedis()
    await redis.pause(redis.primary)
    const driver = ioredisDriver(redis.url, { commandTimeout: 200, connectTimeout: 5000 })
    try {
      const started = performance.now()
      expect((await failure(driver.send('GET', ['k']))).code).toBe('E_TIMEOUT')
      expect(performance.now() - started).toBeLessThan(300)
      await redis.resume(redis.primary)
      await eventually(
        'the driver answers after resume',
        async () => (await driver.send('PING', [])) !== null,
      )
    } finally {
      await driver.close()
    }
  })

  it('a killed server: fast E_CONNECTION while down, recovers by itself after restart, no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    await using redis = await startRedis()
    const driver = ioredisDriver(redis.url, { commandTimeout: 2000 })
    try {
      await driver.send('SET', ['r:k', 'v'])
      await redis.kill(redis.primary)
      await eventually('the driver sees the connection drop', () => driver.client.status !== 'ready')
      // Fire-and-forget traffic while down must not leak unhandled rejections.
      for (let i = 0; i < 20; i++) void driver.send('GET', ['r:k']).catch(() => undefined)
      const error = await failure(driver.send('GET', ['r:k']))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(`Redis at ${redis.primary.address}`)
      await redis.restart(redis.primary)
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
    expect(unhandled).toEqual([])
  })
})
