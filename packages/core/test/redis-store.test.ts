import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { eventually, type RedisDeployment, type RedisNode, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, isRediskitError, RedisStore } from '../src/index.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const coreEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url))

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function commandStats(node: RedisNode): Promise<Record<string, number>> {
  const client = new Redis(node.port, node.host, { lazyConnect: true })
  try {
    const info = await client.info('commandstats')
    const out: Record<string, number> = {}
    for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
      out[match[1] as string] = Number(match[2])
    return out
  } finally {
    client.disconnect()
  }
}

async function resetStats(node: RedisNode): Promise<void> {
  const client = new Redis(node.port, node.host, { lazyConnect: true })
  try {
    await client.config('RESETSTAT')
  } finally {
    client.disconnect()
  }
}

describe('RedisStore: the commands it sends', () => {
  let redis: RedisDeployment
  let store: RedisStore
  beforeAll(async () => {
    redis = await startRedis()
    store = new RedisStore(createTopology({ location: redis.url }))
  })
  afterAll(async () => {
    await store?.close()
    await redis?.stop()
  })

  it('getMany: one MGET per 1000 keys; setMany: MSET without ttl, SET PX with; deleteMany: UNLINK', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `cmd:${i}`)
    await resetStats(redis.primary)
    await store.setMany(keys.map((key): [string, Buffer] => [key, Buffer.from(key)]))
    await store.getMany(keys)
    await store.setMany([['cmd:ttl', Buffer.from('v')]], 10_000)
    expect(await store.deleteMany(keys)).toBe(2500)
    const stats = await commandStats(redis.primary)
    expect(stats.mset).toBe(3)
    expect(stats.mget).toBe(3)
    expect(stats.set).toBe(1)
    expect(stats.unlink).toBe(3)
    expect(stats.get).toBeUndefined()
    expect(stats.del).toBeUndefined()
  })

  it('scan walks SCAN MATCH COUNT and never sends KEYS; flush sends FLUSHDB', async () => {
    await store.setMany(
      Array.from({ length: 40 }, (_, i): [string, Buffer] => [`scan:${i}`, Buffer.from('v')]),
    )
    await resetStats(redis.primary)
    const found: string[] = []
    for await (const batch of store.scan('scan:*', { count: 5 })) found.push(...batch)
    expect(found.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `scan:${i}`).sort())
    await store.flush()
    expect(await store.has('scan:0')).toBe(false)
    const stats = await commandStats(redis.primary)
    expect(stats.scan).toBeGreaterThan(1)
    expect(stats.keys).toBeUndefined()
    expect(stats.flushdb).toBe(1)
  })

  it('has -> EXISTS, ttl -> PTTL, persist -> PERSIST + EXISTS, incr -> INCRBY, expire -> PEXPIRE(AT)', async () => {
    await store.set('c:k', Buffer.from('1'), { ttl: 10_000 })
    await resetStats(redis.primary)
    await store.has('c:k')
    await store.ttl('c:k')
    await store.persist('c:k')
    await store.incr('c:k', 2)
    await store.expire('c:k', 1000)
    await store.expireAt('c:k', Date.now() + 1000)
    const stats = await commandStats(redis.primary)
    expect(stats).toMatchObject({ exists: 2, pttl: 1, persist: 1, incrby: 1, pexpire: 1, pexpireat: 1 })
  })

  it('leases run as EVALSHA, with EVAL when the script cache was flushed (NOSCRIPT)', async () => {
    const admin = new Redis(redis.primary.port, '127.0.0.1')
    try {
      await admin.script('FLUSH')
      await resetStats(redis.primary)
      expect(await store.acquireLease('lease:a', 't1', 10_000)).toBe(true)
      expect(await store.extendLease('lease:a', 't1', 20_000)).toBe(true)
      expect(await store.releaseLease('lease:a', 't1')).toBe(true)
      expect(await store.acquireLease('lease:a', 't2', 10_000)).toBe(true)
      expect(await store.releaseLease('lease:a', 't2')).toBe(true)
      const stats = await commandStats(redis.primary)
      expect(stats.eval).toBe(2)
      expect(stats.evalsha).toBe(3)
    } finally {
      admin.disconnect()
    }
  })

  it('exposes the topology and the ioredis client', () => {
    expect(store.kind).toBe('redis')
    expect(store.topology.kind).toBe('standalone')
    expect(store.client).toBeInstanceOf(Redis)
  })

  it('every method rejects with E_CLOSED after close (scan too)', async () => {
    const own = new RedisStore(createTopology({ location: redis.url }))
    await own.get('x')
    await own.close()
    const calls: (() => Promise<unknown>)[] = [
      () => own.get('k'),
      () => own.getMany(['k']),
      () => own.set('k', Buffer.from('v')),
      () => own.setMany([['k', Buffer.from('v')]]),
      () => own.delete('k'),
      () => own.deleteMany(['k']),
      () => own.has('k'),
      () => own.ttl('k'),
      () => own.expire('k', 1),
      () => own.expireAt('k', 1),
      () => own.persist('k'),
      () => own.incr('k', 1),
      () => own.scan('*')[Symbol.asyncIterator]().next(),
      () => own.flush(),
      () => own.acquireLease('k', 't', 1),
      () => own.releaseLease('k', 't'),
      () => own.extendLease('k', 't', 1),
    ]
    for (const call of calls) {
      await expect(call()).rejects.toSatisfy((error: unknown) => isRediskitError(error, 'E_CLOSED'))
    }
  })

  it('rejects bad arguments without sending anything', async () => {
    await expect(store.set('k', Buffer.from('v'), { nx: true, xx: true })).rejects.toThrow(TypeError)
    await expect(store.set('k', Buffer.from('v'), { ttl: 0 })).rejects.toThrow(/positive number/)
    await expect(store.set('k', Buffer.from('v'), { ttl: 10, keepTtl: true })).rejects.toThrow(TypeError)
    await expect(store.incr('k', 1.5)).rejects.toThrow(/safe integer/)
    await expect(store.expireAt('k', Number.NaN)).rejects.toThrow(/finite/)
  })

  it('inspect shows the topology, never the client or a password', async () => {
    const secret = 'Inspect-Me-Not-1'
    const other = new RedisStore(createTopology({ location: `redis://:${secret}@127.0.0.1:1/0` }))
    const text = inspect(other, { depth: 10, showHidden: true })
    expect(text).toContain('127.0.0.1:1')
    expect(text).not.toContain(secret)
    await other.close()
  })
})

describe('RedisStore: failures', () => {
  it('recovers by itself after the server is killed and restarted; no unhandled rejections', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    await using redis = await startRedis()
    const store = new RedisStore(createTopology({ location: redis.url, commandTimeout: 1000 }))
    try {
      await store.set('rec:k', Buffer.from('v'))
      await redis.kill(redis.primary)
      await eventually(
        'operations fail with E_CONNECTION while the server is down',
        async () => {
          try {
            await store.get('rec:k')
            return false
          } catch (error) {
            return isRediskitError(error, 'E_CONNECTION')
          }
        },
        10_000,
      )
      for (let i = 0; i < 20; i++) void store.getMany(['a', 'b']).catch(() => undefined)
      await redis.restart(redis.primary)
      await eventually(
        'the store works again',
        async () => (await store.set('rec:after', Buffer.from('w'))) === true,
        10_000,
        50,
      )
      expect(await store.get('rec:after')).toEqual(Buffer.from('w'))
    } finally {
      await store.close()
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })

  it('after close() no handle is left: a process that used a store exits by itself', async () => {
    await using redis = await startRedis()
    const dir = mkdtempSync(join(tmpdir(), 'rediskit-exit-'))
    const script = join(dir, 'child.mts')
    writeFileSync(
      script,
      [
        `import { createTopology, RedisStore } from ${JSON.stringify(coreEntry)}`,
        'const store = new RedisStore(createTopology({ location: process.argv[2] }))',
        "await store.set('exit:k', Buffer.from('v'))",
        "const value = await store.get('exit:k')",
        'await store.close()',
        "process.stdout.write('closed ' + String(value) + '\\n')",
      ].join('\n'),
    )
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script, redis.url], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      let closedAt = 0
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (closedAt === 0 && stdout.includes('closed')) closedAt = performance.now()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      const exit = await new Promise<{ code: number | null; at: number }>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
        child.on('exit', (code) => {
          clearTimeout(timer)
          resolve({ code, at: performance.now() })
        })
      })
      expect(stderr).toBe('')
      expect(stdout).toBe('closed v\n')
      expect(exit.code).toBe(0)
      // It exits on its own, promptly, once the store is closed.
      expect(exit.at - closedAt).toBeLessThan(3000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
