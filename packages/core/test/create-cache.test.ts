import { describe, expect, it } from 'vitest'
import { Cache } from '../src/cache.js'
import { type CacheOptions, createCache } from '../src/create-cache.js'
import { isRediskitError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'
import { NullStore } from '../src/null-store.js'
import { FailingStore } from './support/test-stores.js'

const quiet = { error: () => {}, warn: () => {}, debug: () => {} }

const noop = (data: Buffer): Buffer => data
const halfCompressor: unknown = { name: 'x', id: 1, compress: noop }
const outOfRangeCompressor: unknown = { name: 'x', id: 300, compress: noop, decompress: noop }

function configError(options: unknown): Error {
  try {
    createCache(options as CacheOptions)
  } catch (error) {
    expect(isRediskitError(error, 'E_CONFIG')).toBe(true)
    return error as Error
  }
  throw new Error(`expected E_CONFIG for ${JSON.stringify(options)}`)
}

describe('createCache: store selection', () => {
  it('defaults to the embedded MemoryStore with default bounds', () => {
    const cache = createCache()
    expect(cache).toBeInstanceOf(Cache)
    expect(cache.store).toBeInstanceOf(MemoryStore)
    expect((cache.store as MemoryStore).maxEntries).toBe(10_000)
    expect((cache.store as MemoryStore).maxBytes).toBe(64 * 1024 * 1024)
    expect(cache.prefix).toBe('')
    expect(cache.version).toBe(1)
  })

  it("takes memory bounds, store: 'memory' and store: 'null'", async () => {
    const bounded = createCache({ memory: { maxEntries: 5, maxBytes: 1000 } })
    expect((bounded.store as MemoryStore).maxEntries).toBe(5)
    expect(createCache({ store: 'memory', memory: { maxBytes: 10 } }).store).toBeInstanceOf(MemoryStore)
    const dummy = createCache({ store: 'null' })
    expect(dummy.store).toBeInstanceOf(NullStore)
    expect(await dummy.set('k', 1)).toBe(true)
    expect(await dummy.get('k')).toBeUndefined()
  })

  it('uses a store passed in, and never closes it', async () => {
    const store = new FailingStore()
    const cache = createCache({ store })
    expect(cache.store).toBe(store)
    expect(cache.client).toBe(store.client)
    await cache.close()
    expect(store.closed).toBe(0)
  })

  it('builds a RedisStore for a location without connecting, even to an unreachable server', async () => {
    const cache = createCache({
      location: 'redis://127.0.0.1:1/0',
      handleErrors: true,
      logErrors: false,
      commandTimeout: 200,
      connectTimeout: 200,
    })
    expect(cache.store.kind).toBe('redis')
    const started = performance.now()
    expect(await cache.get('k')).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(200 + 500)
    expect(cache.stats().errors).toBe(1)
    await cache.close()
  })
})

describe('createCache: validation names the option (E_CONFIG)', () => {
  it.each([
    [{ prefix: 5 }, 'prefix'],
    [{ version: 1.5 }, 'version'],
    [{ version: '1' }, 'version'],
    [{ keyFunction: 'x' }, 'keyFunction'],
    [{ serializer: { name: 'x' } }, 'serializer'],
    [{ compressor: halfCompressor }, 'compressor'],
    [{ compressor: outOfRangeCompressor }, 'compressor'],
    [{ decompressors: [{}] }, 'decompressors'],
    [{ compressThreshold: -1 }, 'compressThreshold'],
    [{ compressThreshold: Number.NaN }, 'compressThreshold'],
    [{ ttl: '10 minutes' }, 'ttl'],
    [{ ttl: Number.NaN }, 'ttl'],
    [{ handleErrors: 'yes' }, 'handleErrors'],
    [{ logErrors: 1 }, 'logErrors'],
    [{ logger: { error: () => {} } }, 'logger'],
    [{ commandTimeout: 0 }, 'commandTimeout'],
    [{ commandTimeout: Number.POSITIVE_INFINITY }, 'commandTimeout'],
    [{ connectTimeout: -5 }, 'connectTimeout'],
    [{ readFrom: 'nearest' }, 'readFrom'],
    [{ store: 'redis' }, 'store'],
    [{ store: {} }, 'store'],
    [{ topology: {} }, 'topology'],
    [{ memory: 5 }, 'memory'],
    [{ memory: { maxEntries: 0 } }, 'memory.maxEntries'],
    [{ store: 'null', memory: { maxEntries: 5 } }, 'memory'],
    [{ location: 'redis://127.0.0.1:1', memory: { maxEntries: 5 } }, 'memory'],
    [{ store: new MemoryStore(), location: 'redis://127.0.0.1:1' }, 'store'],
  ])('%o -> %s', (options, option) => {
    const error = configError(options)
    expect(error.message).toContain(option)
    expect((error as { details?: Record<string, unknown> }).details?.option).toBe(option)
  })

  it('rejects a bad location without echoing its password', () => {
    const error = configError({ location: 'redis://:hunter2@127.0.0.1:notaport/0' })
    expect(error.message).not.toContain('hunter2')
  })

  it('accepts a complete, valid set of options', async () => {
    const cache = createCache({
      prefix: 'app',
      version: 3,
      keyFunction: (key, prefix, version) => `${prefix}:${version}:${key}`,
      serializer: {
        name: 'json2',
        serialize: (v) => JSON.stringify(v),
        deserialize: (d) => JSON.parse(d.toString()),
      },
      compressor: { name: 'none2', id: 0, compress: (d) => d, decompress: (d) => d },
      compressThreshold: 0,
      decompressors: [],
      ttl: '10m',
      handleErrors: false,
      logErrors: true,
      logger: quiet,
      connectTimeout: 100,
      commandTimeout: 100,
      readFrom: 'primary',
      memory: { maxEntries: 100, maxBytes: 1 << 20 },
    })
    await cache.set('k', { ok: true })
    expect(await cache.get('k')).toEqual({ ok: true })
    expect(await cache.ttl('k')).toBeGreaterThan(590_000)
  })
})
