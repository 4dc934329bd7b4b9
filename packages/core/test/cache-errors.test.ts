import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Cache } from '../src/cache.js'
import { createCache } from '../src/create-cache.js'
import { isRediskitError, RediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'
import { FailingStore, HangingStore } from './support/test-stores.js'

interface Logged {
  level: string
  args: unknown[]
}

function recordingLogger() {
  const logged: Logged[] = []
  return {
    logged,
    logger: {
      error: (...args: unknown[]) => logged.push({ level: 'error', args }),
      warn: (...args: unknown[]) => logged.push({ level: 'warn', args }),
      debug: (...args: unknown[]) => logged.push({ level: 'debug', args }),
    },
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/** Every cache operation once, with what it returns when handleErrors swallows a failure. */
const OPERATIONS: [string, (cache: Cache) => Promise<unknown>, unknown][] = [
  ['get', (c) => c.get('k'), undefined],
  ['getMany', (c) => c.getMany(['a', 'b']), [undefined, undefined]],
  ['has', (c) => c.has('k'), false],
  ['ttl', (c) => c.ttl('k'), undefined],
  ['set', (c) => c.set('k', 1), false],
  ['set nx', (c) => c.set('k', 1, { nx: true, ttl: 1000 }), false],
  ['set ttl 0', (c) => c.set('k', 1, 0), false],
  ['add', (c) => c.add('k', 1), false],
  ['setMany', (c) => c.setMany({ a: 1 }), false],
  ['delete', (c) => c.delete('k'), false],
  ['deleteMany', (c) => c.deleteMany(['a', 'b']), 0],
  ['expire', (c) => c.expire('k', 1000), false],
  ['expireAt', (c) => c.expireAt('k', Date.now() + 1000), false],
  ['persist', (c) => c.persist('k'), false],
  ['touch', (c) => c.touch('k', 1000), false],
  ['incr', (c) => c.incr('k'), undefined],
  ['decr', (c) => c.decr('k'), undefined],
  ['incrVersion', (c) => c.incrVersion('k'), undefined],
  ['keys', (c) => c.keys('*'), []],
  ['deletePattern', (c) => c.deletePattern('*'), 0],
  ['clear', (c) => c.clear(), undefined],
  ['clear flush', (c) => c.clear({ flush: true }), undefined],
  ['reencode', (c) => c.reencode(), 0],
  ['getOrSet', (c) => c.getOrSet('k', () => 'computed'), 'computed'],
]

let unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}

beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})

afterEach(async () => {
  // Let any stray rejection surface before checking.
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

describe('handleErrors: true on a store that fails', () => {
  it.each(OPERATIONS)('%s falls back instead of throwing', async (_name, operation, fallback) => {
    const { logger, logged } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    const errors: RediskitError[] = []
    cache.on('error', (error) => errors.push(error))
    expect(await operation(cache)).toEqual(fallback)
    expect(errors.length).toBeGreaterThan(0)
    for (const error of errors) {
      expect(isRediskitError(error, 'E_CONNECTION')).toBe(true)
      expect(error.cause).toBeInstanceOf(Error)
      expect(typeof error.details?.op).toBe('string')
    }
    expect(cache.stats().errors).toBe(errors.length)
    expect(logged.filter((entry) => entry.level === 'error')).toHaveLength(errors.length)
  })

  it('does not log with logErrors: false, and still emits', async () => {
    const { logger, logged } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logErrors: false, logger })
    let emitted = 0
    cache.on('error', () => emitted++)
    expect(await cache.get('k')).toBeUndefined()
    expect(emitted).toBe(1)
    expect(logged).toEqual([])
  })

  it('works with no error listener at all (no crash on an unheard error)', async () => {
    const { logger } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.set('k', 1)).toBe(false)
  })

  it('yields nothing from scan', async () => {
    const { logger } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    const keys: string[] = []
    for await (const key of cache.scan('*')) keys.push(key)
    expect(keys).toEqual([])
  })

  it('getOrSet calls the factory and returns its value; the error is reported', async () => {
    const { logger } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    let calls = 0
    expect(await cache.getOrSet('k', async () => ++calls)).toBe(1)
    expect(await cache.getOrSet('k', async () => ++calls)).toBe(2)
    expect(cache.stats().errors).toBe(4) // a read and a write each time
  })

  it('keeps usage errors (E_ENCODE, E_CONFIG) thrown', async () => {
    const { logger } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    expect(isRediskitError(await rejection(cache.set('k', undefined)), 'E_ENCODE')).toBe(true)
    expect(isRediskitError(await rejection(cache.incr('k', 0.5)), 'E_CONFIG')).toBe(true)
  })
})

describe('handleErrors: false (the default)', () => {
  it.each(OPERATIONS)('%s rejects with a RediskitError that carries the cause', async (_name, operation) => {
    const { logger, logged } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), logger })
    const emitted: RediskitError[] = []
    cache.on('error', (error) => emitted.push(error))
    const error = await rejection(operation(cache))
    expect(isRediskitError(error, 'E_CONNECTION')).toBe(true)
    expect((error as RediskitError).cause).toBeInstanceOf(Error)
    expect(emitted).toEqual([error])
    expect(logged).toEqual([]) // the caller has the error; logging it too would report it twice
  })

  it('keeps codes of RediskitErrors from the store and adds op and key', async () => {
    const store = new FailingStore(() => new RediskitError('E_PROTOCOL', 'bad bytes from 127.0.0.1:1'))
    const cache = createCache({ store })
    const error = (await rejection(cache.get('user:1'))) as RediskitError
    expect(error.code).toBe('E_PROTOCOL')
    expect(error.details).toMatchObject({ op: 'get', key: 'user:1' })
  })

  it('classifies Redis error replies as E_REDIS', async () => {
    const reply = Object.assign(
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      {
        name: 'ReplyError',
      },
    )
    const cache = createCache({ store: new FailingStore(() => reply) })
    expect(isRediskitError(await rejection(cache.get('k')), 'E_REDIS')).toBe(true)
    const plain = createCache({ store: new FailingStore(() => new Error('ERR unknown command')) })
    expect(isRediskitError(await rejection(plain.get('k')), 'E_REDIS')).toBe(true)
  })

  it('does not let a throwing error listener break the operation', async () => {
    const { logger, logged } = recordingLogger()
    const cache = createCache({ store: new FailingStore(), handleErrors: true, logger })
    cache.on('error', () => {
      throw new Error('listener bug')
    })
    expect(await cache.get('k')).toBeUndefined()
    expect(logged.some((entry) => String(entry.args[0]).includes('listener threw'))).toBe(true)
  })
})

describe('commandTimeout: a deadline on every operation', () => {
  it.each(OPERATIONS)(
    '%s on a frozen store fails with E_TIMEOUT within the deadline',
    async (_name, operation) => {
      const store = new HangingStore()
      const cache = createCache({ store, commandTimeout: 50 })
      const started = performance.now()
      const error = await rejection(operation(cache))
      const elapsed = performance.now() - started
      expect(isRediskitError(error, 'E_TIMEOUT')).toBe(true)
      expect(error.message).toMatch(/within 50 ms/)
      expect(elapsed).toBeGreaterThanOrEqual(45)
      expect(elapsed).toBeLessThan(50 + 500)
      // The store finally gives up: its late rejections must not surface anywhere.
      store.rejectAll(new Error('connection lost'))
    },
  )

  it.each(OPERATIONS)(
    '%s with handleErrors falls back after the deadline',
    async (_name, operation, fallback) => {
      const store = new HangingStore()
      const { logger } = recordingLogger()
      const cache = createCache({ store, commandTimeout: 30, handleErrors: true, logger })
      const errors: RediskitError[] = []
      cache.on('error', (error) => errors.push(error))
      expect(await operation(cache)).toEqual(fallback)
      expect(errors.every((error) => error.code === 'E_TIMEOUT')).toBe(true)
      expect(errors.length).toBeGreaterThan(0)
      store.rejectAll(new Error('late'))
    },
  )

  it('a late answer after the deadline is ignored', async () => {
    const store = new HangingStore()
    const cache = createCache({
      store,
      commandTimeout: 20,
      handleErrors: true,
      logger: recordingLogger().logger,
    })
    expect(await cache.get('k')).toBeUndefined()
    for (const call of store.pending.splice(0)) call.resolve(Buffer.from('1'))
    expect(cache.stats()).toMatchObject({ hits: 0, errors: 1 })
  })

  it('clears its timers: a fast store leaves no pending deadline behind', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
    const before = timers()
    const cache = createCache({ commandTimeout: 60_000 })
    for (let i = 0; i < 20; i++) {
      await cache.set(`k${i}`, i)
      await cache.get(`k${i}`)
    }
    await cache.getMany(['k1', 'k2'])
    expect(timers()).toBeLessThanOrEqual(before)
  })
})

describe('secrets never reach messages or logs', () => {
  it('scrubs the password from store errors', async () => {
    const { logger, logged } = recordingLogger()
    const store = new FailingStore(
      () => new Error('cannot reach redis://:hunter2@127.0.0.1:1/0 (password hunter2)'),
    )
    const cache = createCache({ store, handleErrors: true, logger, password: 'hunter2' })
    const errors: RediskitError[] = []
    cache.on('error', (error) => errors.push(error))
    await cache.get('k')
    expect(errors[0]?.message).not.toContain('hunter2')
    expect(JSON.stringify(logged.map((entry) => entry.args.map(String)))).not.toContain('hunter2')
  })
})

describe('close', () => {
  it('closes a store the cache created, once, and then every operation fails with E_CLOSED', async () => {
    const cache = createCache({ store: 'memory' })
    const store = cache.store as MemoryStore
    await cache.set('k', 1)
    const first = cache.close()
    expect(cache.close()).toBe(first)
    await first
    expect(cache.closed).toBe(true)
    expect(isRediskitError(await rejection(store.get('x')), 'E_CLOSED')).toBe(true)
    for (const [, operation] of OPERATIONS) {
      expect(isRediskitError(await rejection(operation(cache)), 'E_CLOSED')).toBe(true)
    }
    const iterator = cache.scan('*')[Symbol.asyncIterator]()
    expect(isRediskitError(await rejection(iterator.next()), 'E_CLOSED')).toBe(true)
  })

  it('throws E_CLOSED after close even with handleErrors (a usage error)', async () => {
    const cache = createCache({ handleErrors: true })
    await cache.close()
    expect(isRediskitError(await rejection(cache.get('k')), 'E_CLOSED')).toBe(true)
  })

  it('never closes a store passed in', async () => {
    const store = new FailingStore()
    const cache = createCache({ store })
    await cache.close()
    await cache.close()
    expect(store.closed).toBe(0)
  })

  it('supports await using', async () => {
    const store = new MemoryStore()
    {
      await using cache = createCache({ store })
      await cache.set('k', 1)
    }
    expect(await store.has(':1:k')).toBe(true)
    const owned = createCache()
    await owned[Symbol.asyncDispose]()
    expect(owned.closed).toBe(true)
  })
})
