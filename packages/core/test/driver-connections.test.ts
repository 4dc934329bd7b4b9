import { inspect } from 'node:util'
import { startRedis } from '@rediskit/testing'
import { describe, expect, it } from 'vitest'
import {
  type ConnectionOptions,
  createTopology,
  isRediskitError,
  type RediskitError,
  RedisStore,
} from '../src/index.js'

/** A store over `options`, closed after `body`. */
async function withStore<T>(options: ConnectionOptions, body: (store: RedisStore) => Promise<T>): Promise<T> {
  const store = new RedisStore(createTopology({ commandTimeout: 2000, ...options }))
  try {
    return await body(store)
  } finally {
    await store.close()
  }
}

async function failure(promise: Promise<unknown>): Promise<RediskitError> {
  try {
    await promise
  } catch (error) {
    expect(isRediskitError(error), String(error)).toBe(true)
    return error as RediskitError
  }
  throw new Error('expected a rejection')
}

/** Everything a user could see of an error: none of it may contain `secret`. */
function expectNoSecret(error: RediskitError, secret: string): void {
  for (const text of [
    error.message,
    String(error.stack),
    inspect(error, { depth: 10 }),
    inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error.details),
  ]) {
    expect(text).not.toContain(secret)
  }
}

const PASSWORD = 'Pw-9f3K-zz'
const WRONG = 'Nope-7Qx-2b'

describe('TLS (rediss://)', () => {
  it('connects with the harness CA and verifies the certificate', async () => {
    await using redis = await startRedis({ tls: true })
    expect(redis.url.startsWith('rediss://')).toBe(true)
    const tls = redis.tls
    if (tls === undefined) throw new Error('no TLS material')
    await withStore({ location: redis.url, tls: { ca: tls.ca } }, async (store) => {
      expect(await store.set('tls:k', Buffer.from('v'))).toBe(true)
      expect(await store.get('tls:k')).toEqual(Buffer.from('v'))
    })
    // host:port with tls options means TLS too
    await withStore({ location: redis.primary.address, tls: { ca: tls.ca } }, async (store) => {
      expect(await store.get('tls:k')).toEqual(Buffer.from('v'))
    })
    // mutual TLS material is accepted as well
    await withStore(
      { location: redis.url, tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey } },
      async (store) => {
        expect(await store.has('tls:k')).toBe(true)
      },
    )

    // A CA that did not sign the server certificate: a clear E_CONNECTION naming the TLS failure.
    const wrongCa = await withStore({ location: redis.url, tls: { ca: tls.clientCert } }, (store) =>
      failure(store.get('tls:k')),
    )
    expect(wrongCa.code).toBe('E_CONNECTION')
    expect(wrongCa.message).toMatch(`cannot reach Redis at ${redis.primary.address}`)
    expect(wrongCa.message).toMatch(/certificate|issuer|self.signed/i)
    expect(wrongCa.message).toMatch(/check tls\.ca/)

    // No CA at all: Node's trusted roots do not know the harness CA either.
    const noCa = await withStore({ location: redis.url }, (store) => failure(store.get('tls:k')))
    expect(noCa.code).toBe('E_CONNECTION')
    expect(noCa.message).toMatch(/certificate|issuer|self.signed/i)

    // Plain TCP against a TLS port does not hang: it fails within the deadline.
    const plain = await withStore(
      { location: `redis://${redis.primary.address}`, commandTimeout: 500 },
      (store) => failure(store.get('tls:k')),
    )
    expect(['E_CONNECTION', 'E_TIMEOUT']).toContain(plain.code)
  })
})

describe('unix sockets', () => {
  it('unix:///path and a bare /path, with ?db=N', async () => {
    await using redis = await startRedis({ unixSocket: true })
    const socket = redis.socket
    if (socket === undefined) throw new Error('no socket')
    await withStore({ location: `unix://${socket}` }, async (store) => {
      expect(await store.set('sock:k', Buffer.from('via unix://'))).toBe(true)
      expect(store.topology.primaries()[0]?.id).toBe(socket)
    })
    await withStore({ location: socket }, async (store) => {
      expect(await store.get('sock:k')).toEqual(Buffer.from('via unix://'))
    })
    await withStore({ location: `unix://${socket}?db=3` }, async (store) => {
      expect(await store.get('sock:k')).toBeUndefined()
      await store.set('sock:db3', Buffer.from('three'))
    })
    await withStore({ location: `redis://${redis.primary.address}/3` }, async (store) => {
      expect(await store.get('sock:db3')).toEqual(Buffer.from('three'))
    })
  })

  it('a socket path that does not exist: E_CONNECTION', async () => {
    const error = await withStore({ location: '/tmp/rediskit-no-such-dir/redis.sock' }, (store) =>
      failure(store.get('k')),
    )
    expect(error.code).toBe('E_CONNECTION')
    expect(error.message).toMatch(/ENOENT/)
  })
})

describe('credentials', () => {
  it('requirepass: the right password works; a wrong or missing one fails clearly, never echoing it', async () => {
    await using redis = await startRedis({ password: PASSWORD })
    const address = redis.primary.address
    await withStore({ location: `redis://:${PASSWORD}@${address}/0` }, async (store) => {
      expect(await store.set('auth:k', Buffer.from('v'))).toBe(true)
      for (const text of [
        inspect(store),
        inspect(store, { showHidden: true, depth: 6 }),
        inspect(store.topology),
      ]) {
        expect(text).not.toContain(PASSWORD)
      }
    })
    // password as an option instead of in the location
    await withStore({ location: address, password: PASSWORD }, async (store) => {
      expect(await store.get('auth:k')).toEqual(Buffer.from('v'))
    })

    const wrong = await withStore({ location: `redis://:${WRONG}@${address}` }, (store) =>
      failure(store.get('k')),
    )
    expect(wrong.code).toBe('E_CONNECTION')
    expect(wrong.message).toMatch(`authentication to Redis at ${address} failed`)
    expect(wrong.message).toMatch(/WRONGPASS|invalid password/)
    expectNoSecret(wrong, WRONG)
    expectNoSecret(wrong, PASSWORD)

    const missing = await withStore({ location: address }, (store) => failure(store.get('k')))
    expect(missing.code).toBe('E_CONNECTION')
    expect(missing.message).toMatch(/NOAUTH|authentication/i)

    // A second command after the failure fails the same way, fast.
    await withStore({ location: `redis://:${WRONG}@${address}` }, async (store) => {
      await failure(store.get('k'))
      const again = await failure(store.get('k'))
      expect(again.code).toBe('E_CONNECTION')
      expectNoSecret(again, WRONG)
    })
  })

  it('ACL user: right credentials work; a wrong password or user fails clearly, never echoing it', async () => {
    await using redis = await startRedis({ acl: { username: 'app', password: PASSWORD } })
    const address = redis.primary.address
    await withStore({ location: `redis://app:${PASSWORD}@${address}/1` }, async (store) => {
      expect(await store.set('acl:k', Buffer.from('v'))).toBe(true)
      expect(await store.get('acl:k')).toEqual(Buffer.from('v'))
    })
    await withStore({ location: address, username: 'app', password: PASSWORD, db: 1 }, async (store) => {
      expect(await store.get('acl:k')).toEqual(Buffer.from('v'))
    })
    for (const location of [`redis://app:${WRONG}@${address}`, `redis://nobody:${PASSWORD}@${address}`]) {
      const error = await withStore({ location }, (store) => failure(store.get('k')))
      expect(error.code).toBe('E_CONNECTION')
      expect(error.message).toMatch(`authentication to Redis at ${address} failed`)
      expectNoSecret(error, WRONG)
      expectNoSecret(error, PASSWORD)
    }
  })
})
