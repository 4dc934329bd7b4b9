import { createServer as createHttpServer } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import { inspect } from 'node:util'
import { isRediskitError, type RediskitError } from '@rediskit/core'
import { eventually, type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nativeDriver, type RespValue } from '../src/index.js'
import { failure } from './support/failures.js'

const PASSWORD = 'Pw-9f3K-zz'
const WRONG = 'Nope-7Qx-2b'

/** Everything a user could see of an error: none of it may contain `secret`. */
function expectNoSecret(error: RediskitError, secret: string): void {
  for (const text of [
    error.message,
    String(error.stack),
    inspect(error, { depth: 10, showHidden: true }),
    String(JSON.stringify(error.details)),
  ]) {
    expect(text).not.toContain(secret)
  }
}

/** A TCP proxy in front of a server that counts the reads it gets from the client side. */
async function countingProxy(
  port: number,
): Promise<{ port: number; reads: () => number; close: () => Promise<void> }> {
  let reads = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const target = connect(port, '127.0.0.1')
    sockets.add(client)
    sockets.add(target)
    client.on('data', (chunk: Buffer) => {
      reads++
      target.write(chunk)
    })
    target.on('data', (chunk: Buffer) => client.write(chunk))
    client.on('close', () => target.destroy())
    target.on('close', () => client.destroy())
    client.on('error', () => {})
    target.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    reads: () => reads,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('nativeDriver on a real server', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('negotiates RESP3 by default and RESP2 on request; replies have the same shapes either way', async () => {
    for (const protocol of [3, 2] as const) {
      const driver = nativeDriver(redis.url, { protocol })
      try {
        expect(driver.state).toBe('idle')
        await driver.send('DEL', [`shape:${protocol}:h`, `shape:${protocol}:s`])
        await driver.send('HSET', [`shape:${protocol}:h`, 'f1', 'v1', 'f2', 'v2'])
        await driver.send('SADD', [`shape:${protocol}:s`, 'm'])
        expect(driver.protocol).toBe(protocol)
        expect(driver.state).toBe('ready')
        const hash = (await driver.send('HGETALL', [`shape:${protocol}:h`])) as Buffer[]
        expect(hash.map(String)).toEqual(['f1', 'v1', 'f2', 'v2'])
        expect(((await driver.send('SMEMBERS', [`shape:${protocol}:s`])) as Buffer[]).map(String)).toEqual([
          'm',
        ])
        expect(await driver.send('EXISTS', [`shape:${protocol}:h`])).toBe(1)
        expect(await driver.send('GET', [`shape:${protocol}:none`])).toBeNull()
        expect(await driver.send('SET', [`shape:${protocol}:k`, 'v'])).toBe('OK')
      } finally {
        await driver.close()
      }
      expect(driver.state).toBe('closed')
    }
  })

  it('coalesces the commands of one tick into one socket write', async () => {
    const proxy = await countingProxy(redis.primary.port)
    const driver = nativeDriver(`redis://127.0.0.1:${proxy.port}`)
    try {
      await driver.send('PING', [])
      const before = proxy.reads()
      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => driver.send('ECHO', [`message ${i}`])),
      )
      expect(replies.map(String)).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`))
      // 1000 commands (about 25 KB) in one write: the proxy sees a handful of reads, not 1000.
      expect(proxy.reads() - before).toBeLessThanOrEqual(4)
    } finally {
      await driver.close()
      await proxy.close()
    }
  })

  it('a bad argument rejects only that command with E_ENCODE', async () => {
    const driver = nativeDriver(redis.url)
    try {
      const bad = await failure(driver.send('SET', ['enc:k', undefined as unknown as string]))
      expect(bad.code).toBe('E_ENCODE')
      expect((await failure(driver.batch([['SET', 'enc:k', Number.NaN]]))).code).toBe('E_ENCODE')
      expect(await driver.send('PING', [])).toBe('PONG')
    } finally {
      await driver.close()
    }
  })

  it('in-flight commands fail with E_CONNECTION when the connection drops, and are never sent again', async () => {
    const driver = nativeDriver(redis.url, { commandTimeout: 5000 })
    const admin = nativeDriver(redis.url)
    try {
      await driver.send('DEL', ['drop:list', 'drop:counter'])
      const id = await driver.send('CLIENT', ['ID'])
      // BLPOP holds the connection; the INCR behind it is written but not yet run.
      const blocked = driver.send('BLPOP', ['drop:list', 5])
      const behind = driver.send('INCR', ['drop:counter'])
      await eventually('the BLPOP is blocking', async () => {
        const list = String(await admin.send('CLIENT', ['LIST']))
        return list.includes('cmd=blpop')
      })
      await admin.send('CLIENT', ['KILL', 'ID', id as number])
      for (const lost of [blocked, behind]) {
        const error = await failure(lost)
        expect(error.code).toBe('E_CONNECTION')
        expect(error.message).toMatch(`cannot reach Redis at ${redis.primary.address}`)
      }
      // The driver reconnects by itself; the INCR was not replayed behind our back.
      await eventually('the driver is back', async () => (await driver.send('PING', [])) === 'PONG', 5000, 20)
      expect(await driver.send('GET', ['drop:counter'])).toBeNull()
    } finally {
      await driver.close()
      await admin.close()
    }
  })

  it('close() lets the replies in flight arrive, then E_CLOSED', async () => {
    const driver = nativeDriver(redis.url)
    await driver.send('DEL', ['close:list'])
    const slow = driver.send('BLPOP', ['close:list', 0.2])
    const closing = driver.close()
    expect((await failure(driver.send('GET', ['x']))).code).toBe('E_CLOSED')
    expect(await slow).toBeNull()
    await closing
    expect(driver.state).toBe('closed')
  })

  it('delivers RESP3 push frames (client-side caching invalidations) to onPush, never as replies', async () => {
    const pushes: RespValue[][] = []
    const tracked = nativeDriver(redis.url, { onPush: (push) => pushes.push(push) })
    const writer = nativeDriver(redis.url)
    try {
      expect(await tracked.send('CLIENT', ['TRACKING', 'on'])).toBe('OK')
      await tracked.send('GET', ['push:k'])
      await writer.send('SET', ['push:k', 'v'])
      await eventually('the invalidation arrived', () => pushes.length > 0)
      expect(pushes[0]!.map((part) => (Array.isArray(part) ? part.map(String) : String(part)))).toEqual([
        'invalidate',
        ['push:k'],
      ])
      expect(await tracked.send('PING', [])).toBe('PONG')
    } finally {
      await tracked.close()
      await writer.close()
    }
  })

  it('CLIENT SETNAME on connect; inspect and JSON show the endpoint and state only', async () => {
    const named = nativeDriver(redis.url, { clientName: 'rk-native-test' })
    try {
      expect(String(await named.send('CLIENT', ['GETNAME']))).toBe('rk-native-test')
      expect(inspect(named)).toMatch(/^NativeDriver \{ id: '127\.0\.0\.1:\d+', state: 'ready', protocol: 3/)
      expect(JSON.parse(JSON.stringify(named))).toEqual({
        id: redis.primary.address,
        state: 'ready',
        protocol: 3,
      })
    } finally {
      await named.close()
    }
  })

  it('bounds the commands waiting for a connection (offlineQueueLimit)', async () => {
    await using frozen = await startRedis()
    await frozen.pause(frozen.primary)
    const driver = nativeDriver(frozen.url, { offlineQueueLimit: 5, commandTimeout: 300 })
    try {
      const waiting = Array.from({ length: 5 }, () =>
        driver.send('PING', []).catch((error: unknown) => error),
      )
      const overflow = await failure(driver.send('PING', []))
      expect(overflow.code).toBe('E_CONNECTION')
      expect(overflow.message).toMatch(/offlineQueueLimit/)
      for (const outcome of await Promise.all(waiting))
        expect(isRediskitError(outcome, 'E_TIMEOUT')).toBe(true)
    } finally {
      await frozen.resume(frozen.primary)
      await driver.close()
    }
  })

  it('retries connecting with the configured backoff', async () => {
    await using down = await startRedis()
    const port = down.primary.port
    await down.kill(down.primary)
    const attempts: number[] = []
    const driver = nativeDriver(`redis://127.0.0.1:${port}`, {
      reconnectDelay: (attempt) => {
        attempts.push(attempt)
        return 10
      },
    })
    try {
      expect((await failure(driver.send('PING', []))).code).toBe('E_CONNECTION')
      await eventually('three attempts were made', () => attempts.length >= 3)
      expect(attempts.slice(0, 3)).toEqual([1, 2, 3])
      await down.restart(down.primary)
      await eventually(
        'connected after the restart',
        async () => (await driver.send('PING', []).catch(() => null)) === 'PONG',
      )
    } finally {
      await driver.close()
    }
  })

  it('a server that is not Redis: E_PROTOCOL, no crash, close() still works', async () => {
    const http = createHttpServer((_request, response) => response.end('not redis'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const address = http.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const driver = nativeDriver(`redis://127.0.0.1:${address.port}`, { commandTimeout: 2000 })
    try {
      const error = await failure(driver.send('GET', ['k']))
      expect(['E_PROTOCOL', 'E_CONNECTION']).toContain(error.code)
      expect(error.message).toMatch(/invalid|cannot reach/)
    } finally {
      await driver.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  })

  it('rejects bad locations and options with E_CONFIG, naming no password', () => {
    for (const [location, options] of [
      ['h1:6379,h2:6379', {}],
      [`redis://:${PASSWORD}@host:notaport`, {}],
      ['redis://127.0.0.1:6379', { commandTimeout: -1 }],
      ['redis://127.0.0.1:6379', { protocol: 4 }],
    ] as const) {
      let thrown: unknown
      try {
        nativeDriver(location, options as never)
      } catch (error) {
        thrown = error
      }
      expect(isRediskitError(thrown, 'E_CONFIG'), location).toBe(true)
      expectNoSecret(thrown as RediskitError, PASSWORD)
    }
  })
})

describe('nativeDriver: credentials, databases, TLS and unix sockets', () => {
  it('requirepass: HELLO AUTH with the right password; wrong or missing ones fail clearly, never echoing it', async () => {
    await using redis = await startRedis({ password: PASSWORD })
    const address = redis.primary.address
    for (const protocol of [3, 2] as const) {
      const good = nativeDriver(`redis://:${PASSWORD}@${address}/2`, { protocol })
      try {
        await good.send('SET', ['auth:k', 'v'])
        expect(String(await good.send('GET', ['auth:k']))).toBe('v')
        expect(inspect(good, { showHidden: true, depth: 6 })).not.toContain(PASSWORD)
      } finally {
        await good.close()
      }
      const viaOption = nativeDriver(address, { password: PASSWORD, db: 2, protocol })
      try {
        expect(String(await viaOption.send('GET', ['auth:k']))).toBe('v')
      } finally {
        await viaOption.close()
      }
      const wrong = nativeDriver(`redis://:${WRONG}@${address}`, { protocol })
      try {
        const error = await failure(wrong.send('GET', ['k']))
        expect(error.code).toBe('E_CONNECTION')
        expect(error.message).toMatch(`authentication to Redis at ${address} failed`)
        expect(error.message).toMatch(/WRONGPASS|invalid password/)
        expectNoSecret(error, WRONG)
        expectNoSecret(error, PASSWORD)
        const again = await failure(wrong.send('GET', ['k']))
        expect(again.code).toBe('E_CONNECTION')
        expectNoSecret(again, WRONG)
      } finally {
        await wrong.close()
      }
      const missing = nativeDriver(address, { protocol })
      try {
        const error = await failure(missing.send('GET', ['k']))
        expect(error.code).toBe('E_CONNECTION')
        expect(error.message).toMatch(/NOAUTH|authentication/i)
      } finally {
        await missing.close()
      }
    }
  })

  it('ACL user: right credentials work; a wrong password or user fails clearly', async () => {
    await using redis = await startRedis({ acl: { username: 'app', password: PASSWORD } })
    const address = redis.primary.address
    for (const protocol of [3, 2] as const) {
      const good = nativeDriver(`redis://app:${PASSWORD}@${address}/1`, { protocol })
      try {
        await good.send('SET', ['acl:k', 'v'])
        expect(String(await good.send('ACL', ['WHOAMI']))).toBe('app')
      } finally {
        await good.close()
      }
      const options = nativeDriver(address, { username: 'app', password: PASSWORD, db: 1, protocol })
      try {
        expect(String(await options.send('GET', ['acl:k']))).toBe('v')
      } finally {
        await options.close()
      }
      for (const location of [`redis://app:${WRONG}@${address}`, `redis://nobody:${PASSWORD}@${address}`]) {
        const driver = nativeDriver(location, { protocol })
        try {
          const error = await failure(driver.send('GET', ['k']))
          expect(error.code).toBe('E_CONNECTION')
          expect(error.message).toMatch(`authentication to Redis at ${address} failed`)
          expectNoSecret(error, WRONG)
          expectNoSecret(error, PASSWORD)
        } finally {
          await driver.close()
        }
      }
    }
  })

  it('a database that does not exist fails the connection with E_CONNECTION', async () => {
    await using redis = await startRedis()
    const driver = nativeDriver(`${redis.url.replace(/\/0$/, '')}/99`)
    try {
      const error = await failure(driver.send('PING', []))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(/SELECT: ERR DB index is out of range/)
    } finally {
      await driver.close()
    }
  })

  it('TLS (rediss://): verified with the CA; a wrong or missing CA is a clear E_CONNECTION', async () => {
    await using redis = await startRedis({ tls: true })
    const tls = redis.tls
    if (tls === undefined) throw new Error('no TLS material')
    expect(redis.url.startsWith('rediss://')).toBe(true)
    const good = nativeDriver(redis.url, { tls: { ca: tls.ca } })
    try {
      await good.send('SET', ['tls:k', 'v'])
      expect(String(await good.send('GET', ['tls:k']))).toBe('v')
    } finally {
      await good.close()
    }
    // host:port with TLS options means TLS; mutual TLS material is accepted too.
    const mutual = nativeDriver(redis.primary.address, {
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    })
    try {
      expect(String(await mutual.send('GET', ['tls:k']))).toBe('v')
    } finally {
      await mutual.close()
    }
    for (const options of [{ tls: { ca: tls.clientCert } }, {}]) {
      const bad = nativeDriver(redis.url, options)
      try {
        const error = await failure(bad.send('GET', ['tls:k']))
        expect(error.code).toBe('E_CONNECTION')
        expect(error.message).toMatch(`cannot reach Redis at ${redis.primary.address}`)
        expect(error.message).toMatch(/certificate|issuer|self.signed/i)
        expect(error.message).toMatch(/check tls\.ca/)
      } finally {
        await bad.close()
      }
    }
    // Plain TCP against the TLS port does not hang: it fails within the deadline.
    const plain = nativeDriver(`redis://${redis.primary.address}`, { commandTimeout: 500 })
    try {
      expect(['E_CONNECTION', 'E_TIMEOUT', 'E_PROTOCOL']).toContain(
        (await failure(plain.send('GET', ['k']))).code,
      )
    } finally {
      await plain.close()
    }
  })

  it('unix sockets: unix:///path and a bare /path, with ?db=N; a missing socket is E_CONNECTION', async () => {
    await using redis = await startRedis({ unixSocket: true })
    const socket = redis.socket
    if (socket === undefined) throw new Error('no socket')
    const viaUrl = nativeDriver(`unix://${socket}?db=3`)
    try {
      expect(viaUrl.id).toBe(socket)
      await viaUrl.send('SET', ['sock:k', 'three'])
    } finally {
      await viaUrl.close()
    }
    const bare = nativeDriver(socket, { db: 3 })
    try {
      expect(String(await bare.send('GET', ['sock:k']))).toBe('three')
    } finally {
      await bare.close()
    }
    const tcp = nativeDriver(`redis://${redis.primary.address}/3`)
    try {
      expect(String(await tcp.send('GET', ['sock:k']))).toBe('three')
    } finally {
      await tcp.close()
    }
    const missing = nativeDriver('/tmp/rediskit-no-such-dir/redis.sock')
    try {
      const error = await failure(missing.send('GET', ['k']))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(/ENOENT/)
    } finally {
      await missing.close()
    }
  })
})
