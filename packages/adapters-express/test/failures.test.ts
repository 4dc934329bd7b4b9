import { type Cache, createCache, type RediskitError } from '@rediskit/core'
import { eventually, type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memoryBackend } from './support/backends.js'
import { frameworks } from './support/frameworks.js'
import { rig } from './support/rig.js'

// Behaviour 14: Redis down or frozen. Requests are answered by the handler within the cache's
// deadline (commandTimeout), an 'error' is emitted, never a 5xx and never a hang.
const COMMAND_TIMEOUT = 300
/** Generous: the deadline, plus a loaded 2-core machine. */
const WITHIN = COMMAND_TIMEOUT + 1200
const FROZEN: readonly string[] = ['E_TIMEOUT', 'E_CIRCUIT_OPEN']
const DOWN: readonly string[] = ['E_CONNECTION', 'E_TIMEOUT', 'E_CIRCUIT_OPEN']

for (const framework of frameworks) {
  describe(`14. ${framework.name} (${framework.version}) with Redis failing`, () => {
    let redis: RedisDeployment
    const caches: Cache[] = []
    const unused = memoryBackend()

    beforeAll(async () => {
      redis = await startRedis()
    })
    let paused = false
    const pause = async () => {
      await redis.pause(redis.primary)
      paused = true
    }
    const resume = async () => {
      if (paused) await redis.resume(redis.primary)
      paused = false
    }
    // Every test leaves the server running for the next one.
    afterEach(resume)
    afterAll(async () => {
      await Promise.all(caches.map((cache) => cache.close()))
      await redis.stop()
    })

    function cacheWith(handleErrors: boolean): { cache: Cache; errors: RediskitError[] } {
      const cache = createCache({
        location: redis.url,
        prefix: `f${caches.length}`,
        commandTimeout: COMMAND_TIMEOUT,
        handleErrors,
        logErrors: false,
      })
      caches.push(cache)
      const errors: RediskitError[] = []
      cache.on('error', (error) => errors.push(error))
      return { cache, errors }
    }

    for (const handleErrors of [false, true]) {
      it(`frozen Redis (handleErrors: ${handleErrors}): served by the handler within the deadline, 'error' emitted`, async () => {
        const { cache, errors } = cacheWith(handleErrors)
        const reported: unknown[] = []
        await using s = await rig(
          framework,
          unused,
          { cache, invalidateOnWrite: true, onError: (error) => reported.push(error) },
          (app, cached, calls) => {
            app.all('/a', cached, (req, res) => {
              res.send(`${req.method} ${calls.count(req.method)}`)
            })
          },
        )
        await s.get('/a')
        expect((await s.get('/a')).headers['x-cache']).toBe('HIT')

        await pause()
        const replies = await Promise.all(Array.from({ length: 5 }, () => s.get('/a')))
        for (const reply of replies) {
          expect(reply.status).toBe(200)
          expect(reply.text).toMatch(/^GET \d+$/)
          expect(reply.ms).toBeLessThan(WITHIN)
        }
        const write = await s.get('/a', { method: 'PUT' })
        expect(write.status).toBe(200)
        expect(write.ms).toBeLessThan(WITHIN)
        // Timeouts, and once core's circuit breaker opens, fast E_CIRCUIT_OPEN failures.
        expect(errors.some((error) => error.code === 'E_TIMEOUT')).toBe(true)
        expect(errors.every((error) => FROZEN.includes(error.code))).toBe(true)
        await eventually('the failed invalidation is reported', () =>
          reported.some((error) => FROZEN.includes((error as RediskitError).code)),
        )

        await resume()
        await eventually('the cache serves hits again', async () => {
          await s.get('/a')
          return (await s.get('/a')).headers['x-cache'] === 'HIT'
        })
      })
    }

    it("Redis down: served by the handler at once, 'error' emitted; hits again once it is back", async () => {
      const { cache, errors } = cacheWith(false)
      await using s = await rig(framework, unused, { cache }, (app, cached, calls) => {
        app.get('/b', cached, (_req, res) => {
          res.send(`run ${calls.count('b')}`)
        })
      })
      await s.get('/b')
      expect((await s.get('/b')).headers['x-cache']).toBe('HIT')

      await redis.kill(redis.primary)
      try {
        for (let i = 0; i < 3; i++) {
          const reply = await s.get('/b')
          expect(reply.status).toBe(200)
          expect(reply.headers['x-cache']).toBe('MISS')
          expect(reply.ms).toBeLessThan(WITHIN)
        }
        expect(errors.length).toBeGreaterThan(0)
        expect(errors.every((error) => DOWN.includes(error.code))).toBe(true)
      } finally {
        await redis.restart(redis.primary)
      }
      await eventually('the cache serves hits again', async () => {
        await s.get('/b')
        return (await s.get('/b')).headers['x-cache'] === 'HIT'
      })
    })
  })
}
