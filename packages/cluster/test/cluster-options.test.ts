import { createServer } from 'node:net'
import { createCache, isRediskitError } from '@rediskit/core'
import { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { type ClusterOptions, cluster } from '../src/index.js'

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

function configError(options: unknown): string {
  try {
    cluster(options as ClusterOptions)
  } catch (error) {
    expect(isRediskitError(error, 'E_CONFIG')).toBe(true)
    return (error as Error).message
  }
  throw new Error('cluster() accepted the options')
}

describe('cluster() options', () => {
  it('accepts seeds as locations, a comma-separated string, or { host, port }, and connects to none of them', async () => {
    for (const nodes of [
      ['127.0.0.1:7000', 'redis://127.0.0.1:7001', 'redis://:pw@127.0.0.1:7002/0'],
      '127.0.0.1:7000, 127.0.0.1:7001',
      [{ host: '127.0.0.1', port: 7000 }],
      ['[::1]:7000'],
    ] as const) {
      const topology = cluster({ nodes })
      expect(topology.kind).toBe('cluster')
      expect(topology.client.status).toBe('wait')
      await topology.close()
    }
  })

  it('rejects what a cluster cannot do, naming the option and never the password', () => {
    expect(configError({})).toMatch(/needs nodes/)
    expect(configError({ nodes: [] })).toMatch(/at least one node/)
    expect(configError({ nodes: ['redis://:s3cret@127.0.0.1:7000/2'] })).toMatch(/only database 0/)
    expect(configError({ nodes: ['127.0.0.1:7000'], db: 1 })).toMatch(/only database 0/)
    expect(configError({ nodes: ['/tmp/redis.sock'] })).toMatch(/unix socket/)
    expect(configError({ nodes: ['redis://:a@h:1', 'redis://:b@h:2'] })).toMatch(/same password/)
    expect(configError({ nodes: ['rediss://h:1', 'redis://h:2'] })).toMatch(/every cluster node uses TLS/)
    expect(configError({ nodes: ['h:1'], scaleReads: 'replica' })).toMatch(/scaleReads must be/)
    expect(configError({ nodes: ['h:1'], readFrom: 'replica' })).toMatch(/use scaleReads/)
    expect(configError({ nodes: ['h:1'], location: 'h:1' })).toMatch(/use nodes/)
    expect(configError({ nodes: ['h:1'], commandTimeout: 0 })).toMatch(/commandTimeout/)
    expect(configError({ nodes: [42] })).toMatch(/node #0/)
    const badPort = configError({ nodes: ['redis://:s3cret@h:port'] })
    expect(badPort).toMatch(/port/)
    expect(badPort).not.toContain('s3cret')
    const client = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true })
    expect(configError({ client, nodes: ['h:1'] })).toMatch(/either nodes or client/)
    expect(configError({ client, scaleReads: 'slave' })).toMatch(/from your Cluster's own options/)
    expect(configError({ client: {} })).toMatch(/ioredis Cluster/)
    client.disconnect()
  })

  it('scaleReads is validated by ioredis too: a custom router is installed only for nodes', async () => {
    const topology = cluster({ nodes: ['127.0.0.1:7000'], scaleReads: 'slave' })
    expect(typeof topology.client.options.scaleReads).toBe('function')
    expect(topology.scaleReads).toBe('slave')
    expect(topology.client.options.redisOptions?.commandTimeout).toBe(1000)
    expect(topology.client.options.lazyConnect).toBe(true)
    await topology.close()
  })
})

describe('a cluster that is not there', () => {
  it('fails each call in time with E_CONNECTION, never hangs, and misses under handleErrors', async () => {
    const port = await deadPort()
    const commandTimeout = 1000
    const topology = cluster({ nodes: [`127.0.0.1:${port}`], commandTimeout })
    const strict = createCache({ topology, commandTimeout })
    const safe = createCache({ topology, commandTimeout, handleErrors: true, logErrors: false })
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const start = performance.now()
        const error = await strict.get('k').catch((e: unknown) => e)
        expect(performance.now() - start).toBeLessThan(commandTimeout + 400)
        expect(isRediskitError(error)).toBe(true)
        // The first call may meet the deadline while the first connection attempt is under way;
        // once the attempt has failed, calls fail at once with the reason.
        const codes = attempt === 0 ? ['E_CONNECTION', 'E_TIMEOUT'] : ['E_CONNECTION', 'E_CIRCUIT_OPEN']
        expect(codes).toContain((error as { code: string }).code)
      }
      const error = await strict.set('k', 1).catch((e: unknown) => e)
      expect((error as Error).message).toMatch(/ECONNREFUSED|circuit/)
      expect(await safe.get('k')).toBeUndefined()
      expect(await safe.set('k', 1)).toBe(false)
      expect(await safe.keys()).toEqual([])
      const ready = await topology.ready(300).catch((e: unknown) => e)
      expect(isRediskitError(ready, 'E_CONNECTION')).toBe(true)
      expect((ready as Error).message).toContain(`cannot reach Redis Cluster (seed nodes 127.0.0.1:${port})`)
      expect((ready as Error).message).toContain('ECONNREFUSED')
    } finally {
      await strict.close()
      await safe.close()
      await topology.close()
    }
    await expect(topology.nodeFor('k', 'read').send('GET', ['k'])).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})
