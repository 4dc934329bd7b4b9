import { existsSync, readlinkSync, realpathSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RespError, redisCommand } from '../src/harness/resp.js'
import { HarnessError, type RedisDeployment, startRedis } from '../src/index.js'
import { info, reaped, run } from './harness-support.js'

describe('startRedis() standalone', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis({ config: ['maxmemory 10mb'] })
  })
  afterAll(() => redis?.stop())

  it('starts one server on 127.0.0.1 in its own rediskit-harness- temp dir, answering PING', async () => {
    const { primary } = redis
    expect(redis.topology).toBe('standalone')
    expect(redis.nodes).toEqual([primary])
    expect(redis.primaries).toEqual([primary])
    expect(redis.replicas).toEqual([])
    expect(redis.sentinels).toEqual([])
    expect(primary).toMatchObject({
      role: 'primary',
      host: '127.0.0.1',
      address: `127.0.0.1:${primary.port}`,
    })
    expect(redis.url).toBe(`redis://127.0.0.1:${primary.port}/0`)
    expect(redis.urls).toEqual([redis.url])
    expect(redis.addresses).toEqual([primary.address])
    expect(basename(primary.dir)).toMatch(/^rediskit-harness-/)
    expect(dirname(primary.dir)).toBe(realpathSync(tmpdir()))
    if (process.platform === 'linux') expect(readlinkSync(`/proc/${primary.pid}/cwd`)).toBe(primary.dir)
    expect(await run(redis, primary, ['PING'])).toBe('PONG')
  })

  it('binds 127.0.0.1 only, keeps no snapshots or AOF, and applies extra config lines', async () => {
    const { primary } = redis
    expect(await run(redis, primary, ['CONFIG', 'GET', 'bind'])).toEqual(['bind', '127.0.0.1'])
    expect(await run(redis, primary, ['CONFIG', 'GET', 'save'])).toEqual(['save', ''])
    expect(await run(redis, primary, ['CONFIG', 'GET', 'appendonly'])).toEqual(['appendonly', 'no'])
    expect(await run(redis, primary, ['CONFIG', 'GET', 'dir'])).toEqual(['dir', primary.dir])
    expect(await run(redis, primary, ['CONFIG', 'GET', 'maxmemory'])).toEqual([
      'maxmemory',
      String(10 * 1024 * 1024),
    ])
  })

  it('pause() freezes the server (no reply within 200 ms) and resume() brings it back', async () => {
    const { primary } = redis
    await redis.pause(primary)
    await expect(run(redis, primary, ['PING'], { timeout: 200 })).rejects.toThrow(/no reply/)
    await redis.resume(primary)
    expect(await run(redis, primary, ['PING'])).toBe('PONG')
  })

  it('failover() is refused for a standalone server', async () => {
    await expect(redis.failover()).rejects.toMatchObject({ code: 'E_HARNESS_OPTIONS' })
  })
})

describe('startRedis() kill and restart', () => {
  it('restart() reuses the port, config and data dir; data persisted there survives a SIGKILL', async () => {
    await using redis = await startRedis({ config: ['appendonly yes', 'appendfsync always'] })
    const { primary } = redis
    const { port, dir, pid } = primary
    expect(await run(redis, primary, ['SET', 'survivor', 'yes'])).toBe('OK')
    await redis.kill(primary)
    expect(reaped(pid)).toBe(true)
    await expect(run(redis, primary, ['PING'], { timeout: 500 })).rejects.toThrow()
    await redis.restart(primary)
    expect(primary.port).toBe(port)
    expect(primary.dir).toBe(dir)
    expect(primary.pid).not.toBe(pid)
    expect(await run(redis, primary, ['GET', 'survivor'])).toBe('yes')
    // restart() of a running node kills it first
    const before = primary.pid
    await redis.restart(primary)
    expect(reaped(before)).toBe(true)
    expect(await run(redis, primary, ['GET', 'survivor'])).toBe('yes')
  })
})

describe('startRedis() auth', () => {
  it('password: requirepass on the server, credentials in the URL, never in inspect()', async () => {
    await using redis = await startRedis({ password: 's3cret pw' })
    const { primary } = redis
    expect(redis.password).toBe('s3cret pw')
    expect(redis.username).toBeUndefined()
    expect(primary.url).toBe(`redis://:s3cret%20pw@127.0.0.1:${primary.port}/0`)
    await expect(run(redis, primary, ['PING'], { auth: null })).rejects.toThrow(/NOAUTH/)
    await expect(run(redis, primary, ['PING'], { auth: { password: 'wrong' } })).rejects.toThrow(
      /WRONGPASS|invalid/,
    )
    expect(await run(redis, primary, ['PING'])).toBe('PONG')
    const shown = inspect(redis, { depth: 5 })
    expect(shown).not.toContain('s3cret')
    expect(inspect(primary)).not.toContain('s3cret')
    expect(shown).toContain(primary.address)
  })

  it('acl: an ACL user with full rights, the default user switched off', async () => {
    await using redis = await startRedis({ acl: { username: 'app', password: 'app-pw' } })
    const { primary } = redis
    expect(redis).toMatchObject({ username: 'app', password: 'app-pw' })
    expect(primary.url).toBe(`redis://app:app-pw@127.0.0.1:${primary.port}/0`)
    await expect(run(redis, primary, ['PING'], { auth: null })).rejects.toThrow(/NOAUTH/)
    await expect(run(redis, primary, ['PING'], { auth: { password: 'app-pw' } })).rejects.toThrow(RespError)
    await expect(
      run(redis, primary, ['PING'], { auth: { username: 'app', password: 'nope' } }),
    ).rejects.toThrow(/WRONGPASS/)
    expect(await run(redis, primary, ['PING'])).toBe('PONG')
    expect(await run(redis, primary, ['SET', 'k', 'v'])).toBe('OK')
    expect(await run(redis, primary, ['ACL', 'WHOAMI'])).toBe('app')
    expect(inspect(redis, { depth: 5 })).not.toContain('app-pw')
  })

  it('unixSocket: the server also listens on <dir>/redis.sock', async () => {
    await using redis = await startRedis({ unixSocket: true })
    const { primary } = redis
    expect(primary.socket).toBe(`${primary.dir}/redis.sock`)
    expect(redis.socket).toBe(primary.socket)
    expect(await redisCommand({ socket: primary.socket ?? '' }, ['PING'])).toBe('PONG')
    expect((await info(redis, primary, 'server')).get('tcp_port')).toBe(String(primary.port))
  })
})

describe('startRedis() lifecycle', () => {
  it('stop() leaves no process, temp dir or port lock, and is idempotent', async () => {
    const redis = await startRedis({ topology: 'replicated', replicas: 1, unixSocket: true, tls: true })
    const nodes = [...redis.nodes]
    expect(nodes).toHaveLength(2)
    const dirs = [...nodes.map((n) => n.dir), dirname(redis.tls?.caFile ?? '')]
    for (const dir of dirs) expect(existsSync(dir)).toBe(true)
    const locks = nodes.map((n) => `${tmpdir()}/rediskit-harness-ports/${n.port}.lock`)
    for (const lock of locks) expect(existsSync(lock)).toBe(true)
    await redis.stop()
    for (const node of nodes) expect(reaped(node.pid)).toBe(true)
    for (const dir of dirs) expect(existsSync(dir)).toBe(false)
    for (const lock of locks) expect(existsSync(lock)).toBe(false)
    await redis.stop()
    await expect(redis.kill(redis.primary)).rejects.toMatchObject({ code: 'E_HARNESS_STOPPED' })
  })

  it('parallel startRedis() calls get distinct ports', async () => {
    const all = await Promise.all(Array.from({ length: 6 }, () => startRedis()))
    try {
      const ports = all.map((r) => r.primary.port)
      expect(new Set(ports).size).toBe(6)
      for (const redis of all) expect(await run(redis, redis.primary, ['PING'])).toBe('PONG')
    } finally {
      await Promise.all(all.map((r) => r.stop()))
    }
  })

  it('a server that cannot start fails with its log tail, and leaves nothing behind', async () => {
    const error = await startRedis({ config: ['no-such-directive yes'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HarnessError)
    expect(error).toMatchObject({ code: 'E_HARNESS_START' })
    const message = (error as Error).message
    expect(message).toMatch(/exited \(code 1\) while starting/)
    expect(message).toContain('no-such-directive')
    const dir = /log lines of (\S+) ---/.exec(message)?.[1]
    expect(dir).toMatch(/rediskit-harness-/)
    expect(existsSync(dir ?? '')).toBe(false)
  })

  it('never shows a password in a start failure', async () => {
    // Redis echoes a bad config line in its fatal error; this one holds the password.
    const error = await startRedis({ password: 'hunter2', config: ['requirepass hunter2 extra'] }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'E_HARNESS_START' })
    const message = (error as Error).message
    expect(message).toContain('requirepass')
    expect(message).not.toContain('hunter2')
  })

  it('restart() fails clearly when another process took the port, and works once it is free', async () => {
    await using redis = await startRedis()
    const { primary } = redis
    await redis.kill(primary)
    const squatter = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: primary.port }, resolve))
    try {
      const error = await redis.restart(primary).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'E_HARNESS_START' })
      expect((error as Error).message).toContain(`redis-server (primary) at ${primary.address} exited`)
      expect((error as Error).message).toMatch(/Address already in use/)
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
    await redis.restart(primary)
    expect(await run(redis, primary, ['PING'])).toBe('PONG')
  })

  it('a deployment that does not become ready in time fails with what it waited for', async () => {
    const error = await startRedis({
      topology: 'replicated',
      replicas: 1,
      password: 'right',
      config: ['masterauth wrong'],
      timeout: 2000,
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_HARNESS_TIMEOUT' })
    const message = (error as Error).message
    expect(message).toMatch(
      /timed out after 2000 ms waiting for redis-server \(replica\) at 127\.0\.0\.1:\d+ to replicate/,
    )
    expect(message).toContain('master_link_status:down')
    expect(message).not.toContain('right')
  })

  it('rejects bad options before starting anything', async () => {
    await expect(startRedis({ password: 'a', acl: { username: 'u', password: 'b' } })).rejects.toMatchObject({
      code: 'E_HARNESS_OPTIONS',
    })
    await expect(startRedis({ replicas: 2 })).rejects.toThrow(/replicas applies to topology/)
    await expect(startRedis({ topology: 'sentinel', replicas: 0 })).rejects.toThrow(/replicas must be/)
    await expect(startRedis({ config: ['a\nb'] })).rejects.toMatchObject({ code: 'E_HARNESS_OPTIONS' })
  })

  it('names the packages to install when a binary is missing', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      const error = await startRedis({ topology: 'cluster', tls: true }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'E_HARNESS_MISSING_BINARY' })
      const message = (error as Error).message
      expect(message).toContain('redis-server, redis-cli, openssl')
      expect(message).toContain('apt-get install redis-server redis-tools redis-sentinel')
      expect(message).toContain('brew install redis')
    } finally {
      process.env.PATH = path
    }
  })
})

describe('startRedis() TLS', () => {
  let redis: RedisDeployment
  beforeAll(async () => {
    redis = await startRedis({ tls: true, password: 'pw' })
  })
  afterAll(() => redis?.stop())

  it('serves TLS only, with a certificate for 127.0.0.1 signed by the generated CA', async () => {
    const { primary } = redis
    const tls = redis.tls
    expect(tls).toBeDefined()
    if (tls === undefined) return
    expect(primary.url).toBe(`rediss://:pw@127.0.0.1:${primary.port}/0`)
    for (const pem of [tls.ca, tls.cert, tls.clientCert]) expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/)
    for (const pem of [tls.key, tls.clientKey]) expect(pem).toMatch(/-----BEGIN (EC )?PRIVATE KEY-----/)
    expect(basename(dirname(tls.caFile))).toMatch(/^rediskit-harness-tls-/)
    // a raw node:tls connection that trusts only the generated CA
    const reply = await new Promise<string>((resolve, reject) => {
      import('node:tls').then(({ connect }) => {
        const socket = connect({ host: '127.0.0.1', port: primary.port, ca: tls.ca }, () => {
          socket.write('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*1\r\n$4\r\nPING\r\n')
        })
        let data = ''
        socket.on('data', (chunk) => {
          data += chunk.toString()
          if (data.includes('PONG')) {
            socket.end()
            resolve(data)
          }
        })
        socket.on('error', reject)
      }, reject)
    })
    expect(reply).toBe('+OK\r\n+PONG\r\n')
    expect(await run(redis, primary, ['CONFIG', 'GET', 'port'])).toEqual(['port', '0'])
    expect(await run(redis, primary, ['CONFIG', 'GET', 'tls-auth-clients'])).toEqual([
      'tls-auth-clients',
      'no',
    ])
  })

  it('accepts the generated client certificate for mutual TLS', async () => {
    const tls = redis.tls
    if (tls === undefined) throw new Error('no TLS material')
    const endpoint = {
      port: redis.primary.port,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    }
    expect(await redisCommand(endpoint, ['PING'], { auth: { password: 'pw' } })).toBe('PONG')
  })

  it('does not speak plain TCP on the TLS port', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port: redis.primary.port }, () =>
        socket.write('PING\r\n'),
      )
      socket.setTimeout(2000, () => socket.destroy())
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1')
      })
      socket.on('close', () => resolve(data))
      socket.on('error', () => undefined)
    })
    expect(answer).not.toContain('PONG')
  })
})
