import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import { eventually } from '@rediskit/testing'
import compression from 'compression'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheResponse, responseCacheInvalidator } from '../src/index.js'
import { type Backend, memoryBackend, redisBackend } from './support/backends.js'
import { frameworks } from './support/frameworks.js'
import { listen, request } from './support/http.js'
import { gate, rig } from './support/rig.js'

// The acceptance behaviours of issue 9, with real HTTP requests, on Express 4 and Express 5, each
// against a real redis-server and against the embedded MemoryStore.
for (const framework of frameworks) {
  for (const backend of [redisBackend(), memoryBackend()] as Backend[]) {
    describe(`${framework.name} (${framework.version}) on ${backend.name}`, () => {
      beforeAll(() => backend.start())
      afterAll(() => backend.stop())

      it('1. GET: a miss runs the handler once, the repeat is a HIT with the same status, bytes and type, and an Age', async () => {
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/items', cached, (_req, res) => {
            res.status(200).json({ items: ['a', 'b'], run: calls.count('items') })
          })
        })
        const miss = await s.get('/items')
        expect(miss.status).toBe(200)
        expect(miss.headers['x-cache']).toBe('MISS')
        const hit = await s.get('/items')
        expect(hit.headers['x-cache']).toBe('HIT')
        expect(hit.status).toBe(200)
        expect(hit.body.equals(miss.body)).toBe(true)
        expect(hit.headers['content-type']).toBe(miss.headers['content-type'])
        expect(hit.headers['content-length']).toBe(String(miss.body.length))
        expect(hit.headers.age).toMatch(/^\d+$/)
        expect(s.calls.of('items')).toBe(1)
      })

      it('2. POST/PUT/PATCH/DELETE are never served from the cache; invalidateOnWrite invalidates the path', async () => {
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.all('/doc', cached, (req, res) => {
            res.send(`${req.method} ${calls.count(req.method)}`)
          })
        })
        expect((await s.get('/doc')).headers['x-cache']).toBe('MISS')
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          const first = await s.get('/doc', { method })
          const second = await s.get('/doc', { method })
          expect(first.headers['x-cache']).toBeUndefined()
          expect(second.text).toBe(`${method} 2`)
        }
        // Without invalidateOnWrite the GET entry stays.
        expect((await s.get('/doc')).text).toBe('GET 1')

        await using w = await rig(framework, backend, { invalidateOnWrite: true }, (app, cached, calls) => {
          app.all('/doc/:id', cached, (req, res) => {
            const run = calls.count(req.method)
            res.status(req.get('x-fail') === undefined ? 200 : 409).send(`${req.method} ${run}`)
          })
        })
        await w.get('/doc/1')
        await w.get('/doc/1?view=full')
        expect((await w.get('/doc/1')).headers['x-cache']).toBe('HIT')
        // A failed write invalidates nothing.
        await w.get('/doc/1', { method: 'PUT', headers: { 'x-fail': '1' } })
        expect((await w.get('/doc/1')).headers['x-cache']).toBe('HIT')
        // A successful one invalidates every entry of the path before the client sees its response.
        await w.get('/doc/1', { method: 'PATCH' })
        const after = await w.get('/doc/1')
        expect(after.headers['x-cache']).toBe('MISS')
        expect(after.text).toBe('GET 3')
        expect((await w.get('/doc/1?view=full')).headers['x-cache']).toBe('MISS')
      })

      it('3. HEAD after a GET hit gets the stored headers and no body; a HEAD miss stores nothing', async () => {
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/h', cached, (req, res) => {
            calls.count(req.method)
            res.type('text/plain').set('X-Thing', 'yes').send('hello head')
          })
        })
        const headMiss = await s.get('/h', { method: 'HEAD' })
        expect(headMiss.headers['x-cache']).toBe('MISS')
        expect(headMiss.body.length).toBe(0)
        const get = await s.get('/h')
        expect(get.headers['x-cache']).toBe('MISS') // the HEAD stored no GET entry
        expect(s.calls.of('GET')).toBe(1)
        expect(s.calls.of('HEAD')).toBe(1)
        const head = await s.get('/h', { method: 'HEAD' })
        expect(head.headers['x-cache']).toBe('HIT')
        expect(head.body.length).toBe(0)
        expect(head.headers['content-length']).toBe(String(get.body.length))
        expect(head.headers['content-type']).toBe(get.headers['content-type'])
        expect(head.headers['x-thing']).toBe('yes')
        expect(head.headers.etag).toBe(get.headers.etag)
        expect(s.calls.of('HEAD')).toBe(1)
      })

      it('4. the key is method + path + sorted query + the vary headers; a custom key; null bypasses', async () => {
        await using s = await rig(framework, backend, { vary: ['Accept-Language'] }, (app, cached, calls) => {
          app.get('/q', cached, (req, res) => {
            res.send(`${req.originalUrl} ${req.get('accept-language') ?? '-'} ${calls.count('q')}`)
          })
        })
        expect((await s.get('/q?a=1&b=2')).headers['x-cache']).toBe('MISS')
        const reordered = await s.get('/q?b=2&a=1')
        expect(reordered.headers['x-cache']).toBe('HIT')
        expect(reordered.text).toBe('/q?a=1&b=2 - 1')
        expect((await s.get('/q?a=2&b=2')).headers['x-cache']).toBe('MISS')
        expect((await s.get('/q?a=1&a=2')).headers['x-cache']).toBe('MISS')
        expect((await s.get('/q?a=2&a=1')).headers['x-cache']).toBe('MISS') // repeated names keep their order
        const fr = { 'accept-language': 'fr' }
        const de = { 'accept-language': 'de' }
        expect((await s.get('/q', { headers: fr })).headers['x-cache']).toBe('MISS')
        expect((await s.get('/q', { headers: de })).headers['x-cache']).toBe('MISS')
        const frAgain = await s.get('/q', { headers: fr })
        expect(frAgain.headers['x-cache']).toBe('HIT')
        expect(frAgain.text).toMatch(/^\/q fr /)
        expect((await s.get('/q')).headers['x-cache']).toBe('MISS') // no header is its own variant

        await using k = await rig(
          framework,
          backend,
          { key: (req) => (req.path === '/k/skip' ? null : `item:${req.path}`) },
          (app, cached, calls) => {
            app.get('/k/:id', cached, (req, res) => {
              res.send(`${req.originalUrl} ${calls.count(req.path)}`)
            })
          },
        )
        expect((await k.get('/k/1?x=1')).headers['x-cache']).toBe('MISS')
        const sameKey = await k.get('/k/1?x=2')
        expect(sameKey.headers['x-cache']).toBe('HIT')
        expect(sameKey.text).toBe('/k/1?x=1 1')
        expect((await k.get('/k/skip')).headers['x-cache']).toBe('BYPASS')
        expect((await k.get('/k/skip')).headers['x-cache']).toBe('BYPASS')
        expect(k.calls.of('/k/skip')).toBe(2)
        // A custom key is what invalidate() takes.
        await k.cached.invalidate('item:/k/1')
        expect((await k.get('/k/1')).headers['x-cache']).toBe('MISS')
      })

      it('5. only allowlisted statuses are stored (default 200); 500, 206 and 304 never', async () => {
        const routes = (
          app: import('express').Express,
          cached: import('../src/index.js').CacheResponseMiddleware,
          calls: import('./support/rig.js').Calls,
        ) => {
          app.get('/status/:code', cached, (req, res) => {
            const code = Number(req.params.code)
            calls.count(String(code))
            res.status(code).send(code === 304 ? undefined : `status ${code}`)
          })
        }
        await using s = await rig(framework, backend, {}, routes)
        for (const code of [500, 206, 404, 201, 304]) {
          await s.get(`/status/${code}`)
          const second = await s.get(`/status/${code}`)
          expect(second.headers['x-cache'], `status ${code}`).toBe('MISS')
          expect(second.status).toBe(code)
          expect(s.calls.of(String(code))).toBe(2)
        }
        await s.get('/status/200')
        expect((await s.get('/status/200')).headers['x-cache']).toBe('HIT')

        await using allow = await rig(framework, backend, { statuses: [200, 404] }, routes)
        await allow.get('/status/404')
        const notFound = await allow.get('/status/404')
        expect(notFound.headers['x-cache']).toBe('HIT')
        expect(notFound.status).toBe(404)
        for (const status of [206, 304, 500, 503]) {
          expect(() => cacheResponse({ cache: s.cache, statuses: [200, status] })).toThrow(
            expect.objectContaining({ code: 'E_CONFIG' }),
          )
        }
      })

      it('6. Set-Cookie, Cache-Control no-store/private, Vary: * are not stored; a response Vary splits entries', async () => {
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/cookie', cached, (_req, res) => {
            calls.count('cookie')
            res.cookie('session', 'abc').send('with cookie')
          })
          app.get('/no-store', cached, (_req, res) => {
            calls.count('no-store')
            res.set('Cache-Control', 'no-store').send('x')
          })
          app.get('/private', cached, (_req, res) => {
            calls.count('private')
            res.set('Cache-Control', 'private, max-age=60').send('x')
          })
          app.get('/vary-star', cached, (_req, res) => {
            calls.count('vary-star')
            res.set('Vary', '*').send('x')
          })
          app.get('/lang', cached, (req, res) => {
            calls.count('lang')
            res.vary('Accept-Language').send(`lang=${req.get('accept-language') ?? 'none'}`)
          })
        })
        for (const path of ['cookie', 'no-store', 'private', 'vary-star']) {
          await s.get(`/${path}`)
          expect((await s.get(`/${path}`)).headers['x-cache'], path).toBe('MISS')
          expect(s.calls.of(path)).toBe(2)
        }
        const lang = (value?: string) =>
          s.get('/lang', value === undefined ? {} : { headers: { 'accept-language': value } })
        expect((await lang('fr')).headers['x-cache']).toBe('MISS')
        expect((await lang('de')).headers['x-cache']).toBe('MISS')
        const fr = await lang('fr')
        const de = await lang('de')
        expect([fr.headers['x-cache'], fr.text]).toEqual(['HIT', 'lang=fr'])
        expect([de.headers['x-cache'], de.text]).toEqual(['HIT', 'lang=de'])
        expect(de.headers.vary).toBe('Accept-Language')
        expect((await lang()).text).toBe('lang=none')
        expect((await lang()).headers['x-cache']).toBe('HIT')
        expect(s.calls.of('lang')).toBe(3)
        // Invalidating the path reaches every variant.
        await s.cached.invalidate('/lang')
        expect((await lang('de')).headers['x-cache']).toBe('MISS')
        expect((await lang('fr')).headers['x-cache']).toBe('MISS')
      })

      it('7. request no-cache refreshes, no-store neither reads nor writes, Authorization bypasses', async () => {
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/r', cached, (_req, res) => {
            res.send(`version ${calls.count('r')}`)
          })
        })
        expect((await s.get('/r')).text).toBe('version 1')
        expect((await s.get('/r')).headers['x-cache']).toBe('HIT')
        const refreshed = await s.get('/r', { headers: { 'cache-control': 'no-cache' } })
        expect([refreshed.headers['x-cache'], refreshed.text]).toEqual(['MISS', 'version 2'])
        expect((await s.get('/r')).text).toBe('version 2')
        const pragma = await s.get('/r', { headers: { pragma: 'no-cache' } })
        expect(pragma.text).toBe('version 3')
        const noStore = await s.get('/r', { headers: { 'cache-control': 'no-store' } })
        expect([noStore.headers['x-cache'], noStore.text]).toEqual(['BYPASS', 'version 4'])
        const authorized = await s.get('/r', { headers: { authorization: 'Bearer x' } })
        expect([authorized.headers['x-cache'], authorized.text]).toEqual(['BYPASS', 'version 5'])
        const ranged = await s.get('/r', { headers: { range: 'bytes=0-3' } })
        expect(ranged.headers['x-cache']).toBe('BYPASS')
        const plain = await s.get('/r')
        expect([plain.headers['x-cache'], plain.text]).toEqual(['HIT', 'version 3'])

        await using a = await rig(
          framework,
          backend,
          { cacheAuthorized: true, vary: ['authorization'], requestCacheControl: false },
          (app, cached, calls) => {
            app.get('/me', cached, (req, res) => {
              res.send(`${req.get('authorization')} ${calls.count('me')}`)
            })
          },
        )
        const alice = { authorization: 'Bearer alice' }
        await a.get('/me', { headers: alice })
        expect((await a.get('/me', { headers: alice })).headers['x-cache']).toBe('HIT')
        expect((await a.get('/me', { headers: { authorization: 'Bearer bob' } })).text).toBe('Bearer bob 2')
        const ignored = await a.get('/me', { headers: { ...alice, 'cache-control': 'no-cache' } })
        expect(ignored.headers['x-cache']).toBe('HIT')
      })

      it('8. If-None-Match (weak comparison) or If-Modified-Since on a hit: 304 with ETag and Age, no body', async () => {
        const modified = new Date('2024-05-01T10:00:00Z').toUTCString()
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/doc', cached, (_req, res) => {
            calls.count('doc')
            res
              .set('Last-Modified', modified)
              .set('Cache-Control', 'public, max-age=600')
              .send('the document')
          })
        })
        const first = await s.get('/doc')
        const etag = first.headers.etag as string
        expect(etag).toMatch(/^W\//)
        expect((await s.get('/doc')).headers['x-cache']).toBe('HIT')
        for (const ifNoneMatch of [etag, etag.slice(2), `"nope", ${etag.slice(2)}`, '*']) {
          const notModified = await s.get('/doc', { headers: { 'if-none-match': ifNoneMatch } })
          expect(notModified.status, ifNoneMatch).toBe(304)
          expect(notModified.body.length).toBe(0)
          expect(notModified.headers.etag).toBe(etag)
          expect(notModified.headers.age).toMatch(/^\d+$/)
          expect(notModified.headers['x-cache']).toBe('HIT')
          expect(notModified.headers['cache-control']).toBe('public, max-age=600')
        }
        const changed = await s.get('/doc', { headers: { 'if-none-match': '"other"' } })
        expect([changed.status, changed.headers['x-cache'], changed.text]).toEqual([
          200,
          'HIT',
          'the document',
        ])
        const since = await s.get('/doc', { headers: { 'if-modified-since': modified } })
        expect([since.status, since.headers['x-cache'], since.body.length]).toEqual([304, 'HIT', 0])
        expect(since.headers.etag).toBe(etag)
        const older = new Date('2024-04-01T10:00:00Z').toUTCString()
        const stale = await s.get('/doc', { headers: { 'if-modified-since': older } })
        expect([stale.status, stale.text]).toEqual([200, 'the document'])
        // If-None-Match decides when both are present.
        const both = await s.get('/doc', {
          headers: { 'if-none-match': '"other"', 'if-modified-since': modified },
        })
        expect(both.status).toBe(200)
        expect(s.calls.of('doc')).toBe(1)
      })

      it("9. Express's own 304 is never stored; the next plain GET gets the full 200", async () => {
        const handler = (_req: import('express').Request, res: import('express').Response) => {
          res.send('stable body')
        }
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/plain', handler)
          app.get('/e', cached, (req, res) => {
            calls.count('e')
            handler(req, res)
          })
        })
        const etag = (await s.get('/plain')).headers.etag as string
        const conditional = await s.get('/e', { headers: { 'if-none-match': etag } })
        expect([conditional.status, conditional.headers['x-cache']]).toEqual([304, 'MISS'])
        const full = await s.get('/e')
        expect([full.status, full.headers['x-cache'], full.text]).toEqual([200, 'MISS', 'stable body'])
        expect((await s.get('/e')).headers['x-cache']).toBe('HIT')
        expect(s.calls.of('e')).toBe(2)
      })

      it('10. streamed and piped bodies replay byte-identical, every res.end signature works, big bodies pass uncached', async () => {
        const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256))
        const endCalls: string[] = []
        await using s = await rig(framework, backend, { maxBodySize: 10_000 }, (app, cached, calls) => {
          app.get('/stream', cached, (_req, res) => {
            calls.count('stream')
            res.type('application/octet-stream')
            res.write(binary.subarray(0, 1000))
            res.write('caf\u00e9 ')
            res.write('68657820', 'hex')
            res.write(new Uint8Array([0, 255, 1, 254]))
            res.write('YmFzZTY0', 'base64', () => {})
            res.end(binary.subarray(1000))
          })
          app.get('/pipe', cached, (_req, res) => {
            calls.count('pipe')
            res.type('application/octet-stream')
            Readable.from([binary.subarray(0, 100), binary.subarray(100, 3000), binary.subarray(3000)]).pipe(
              res,
            )
          })
          app.get('/big', cached, (_req, res) => {
            calls.count('big')
            res.write(Buffer.alloc(6000, 1))
            res.end(Buffer.alloc(6000, 2))
          })
          const ends: ((res: import('express').Response) => void)[] = [
            (res) => res.end(),
            (res) => res.end(() => endCalls.push('cb')),
            (res) => res.end('chunk'),
            (res) => res.end('chunk+cb', () => endCalls.push('chunk+cb')),
            (res) => res.end('636875', 'hex'),
            (res) => res.end('Y2I=', 'base64', () => endCalls.push('enc+cb')),
            (res) => res.end(Buffer.from('buffer')),
          ]
          ends.forEach((end, i) => {
            app.get(`/end/${i}`, cached, (_req, res) => {
              calls.count(`end${i}`)
              res.status(200)
              res.setHeader('Content-Type', 'text/plain')
              end(res)
            })
          })
        })
        for (const path of ['/stream', '/pipe']) {
          const miss = await s.get(path)
          const hit = await s.get(path)
          expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT'])
          expect(hit.body.equals(miss.body)).toBe(true)
        }
        expect(s.calls.of('stream')).toBe(1)
        expect((await s.get('/pipe')).body.equals(binary)).toBe(true)
        const expected = ['', '', 'chunk', 'chunk+cb', 'chu', 'cb', 'buffer']
        for (let i = 0; i < expected.length; i++) {
          const miss = await s.get(`/end/${i}`)
          const hit = await s.get(`/end/${i}`)
          expect([miss.text, hit.text, hit.headers['x-cache']], `end signature ${i}`).toEqual([
            expected[i],
            expected[i],
            'HIT',
          ])
          expect(s.calls.of(`end${i}`)).toBe(1)
        }
        expect(endCalls.sort()).toEqual(['cb', 'chunk+cb', 'enc+cb'])
        const big = await s.get('/big')
        expect(big.body.length).toBe(12_000)
        expect((await s.get('/big')).headers['x-cache']).toBe('MISS')
        expect(s.calls.of('big')).toBe(2)
      })

      it('11. stored only after finish; an aborted request and next(err) store nothing', async () => {
        const release = gate()
        const closed = gate()
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/slow', cached, async (_req, res) => {
            const run = calls.count('slow')
            res.type('text/plain').write('part one ')
            if (run === 1) {
              res.on('close', closed.open)
              await release.promise
            }
            res.end(`done ${run}`)
          })
          app.get('/fail', cached, (_req, _res, next) => {
            calls.count('fail')
            next(new Error('boom'))
          })
        })
        // The client reads the first chunk, then disconnects mid-response.
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest(`${s.url}/slow`, { agent: false })
          req.on('error', () => {})
          req.on('response', (res) => {
            res.once('data', () => {
              req.destroy()
              resolve()
            })
          })
          req.on('error', reject)
          req.end()
        })
        await closed.promise
        const key = `http:GET /slow`
        expect(await s.cache.get(key)).toBeUndefined()
        release.open()
        const next = await s.get('/slow')
        expect([next.headers['x-cache'], next.text]).toEqual(['MISS', 'part one done 2'])
        await eventually(
          'the finished response is stored',
          async () => (await s.cache.get(key)) !== undefined,
        )
        expect((await s.get('/slow')).headers['x-cache']).toBe('HIT')

        expect((await s.get('/fail')).status).toBe(500)
        const again = await s.get('/fail')
        expect([again.status, again.headers['x-cache']]).toEqual([500, 'MISS'])
        expect(s.calls.of('fail')).toBe(2)
      })

      it('12. hits replay the content headers and binary bodies, never hop-by-hop headers, Date or upstream ones', async () => {
        const gzipped = gzipSync(Buffer.from('compressed '.repeat(100)))
        const modified = new Date('2024-01-02T03:04:05Z').toUTCString()
        let requestId = 0
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.use((_req, res, next) => {
            res.set('X-Request-Id', String(++requestId))
            next()
          })
          app.get('/bin', cached, (_req, res) => {
            calls.count('bin')
            res.set({
              'Content-Type': 'text/plain; charset=utf-8',
              'Content-Encoding': 'gzip',
              ETag: '"v1"',
              'Last-Modified': modified,
              'Cache-Control': 'public, max-age=300',
              Vary: 'Accept-Encoding',
              'Content-Language': 'en',
              Connection: 'keep-alive, X-Hop',
              'X-Hop': 'hop-value',
              'Keep-Alive': 'timeout=7',
              Date: 'Mon, 01 Jan 2001 00:00:00 GMT',
            })
            res.end(gzipped)
          })
        })
        const headers = { 'accept-encoding': 'gzip' }
        const miss = await s.get('/bin', { headers })
        const hit = await s.get('/bin', { headers })
        expect(hit.headers['x-cache']).toBe('HIT')
        expect(hit.body.equals(gzipped)).toBe(true)
        for (const name of [
          'content-type',
          'content-encoding',
          'etag',
          'last-modified',
          'cache-control',
          'vary',
        ]) {
          expect(hit.headers[name], name).toBe(miss.headers[name])
        }
        expect(hit.headers['content-language']).toBe('en')
        expect(hit.headers['x-hop']).toBeUndefined()
        expect(hit.headers['keep-alive']).not.toBe('timeout=7')
        expect(hit.headers.date).not.toBe('Mon, 01 Jan 2001 00:00:00 GMT')
        expect(Number.isNaN(Date.parse(hit.headers.date as string))).toBe(false)
        expect(hit.headers['x-request-id']).toBe('2') // set by the middleware before, for this request
        expect(s.calls.of('bin')).toBe(1)
      })

      it('12. with compression(): mounted after the cache, compressed bytes are stored per encoding; mounted before it, nothing is stored', async () => {
        const text = 'compress me '.repeat(200)
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.get('/inside', cached, compression({ threshold: 0 }), (_req, res) => {
            calls.count('inside')
            res.type('text/plain').send(text)
          })
          app.get('/outside', compression({ threshold: 0 }), cached, (_req, res) => {
            calls.count('outside')
            res.type('text/plain').send(text)
          })
        })
        const gzip = { headers: { 'accept-encoding': 'gzip' } }
        const miss = await s.get('/inside', gzip)
        const hit = await s.get('/inside', gzip)
        expect(miss.headers['content-encoding']).toBe('gzip')
        expect([hit.headers['x-cache'], hit.headers['content-encoding']]).toEqual(['HIT', 'gzip'])
        expect(hit.body.equals(miss.body)).toBe(true)
        expect(gunzipSync(hit.body).toString()).toBe(text)
        const identity = await s.get('/inside', { headers: { 'accept-encoding': 'identity' } })
        expect([identity.headers['x-cache'], identity.headers['content-encoding'], identity.text]).toEqual([
          'MISS',
          undefined,
          text,
        ])
        expect(s.calls.of('inside')).toBe(2)

        await s.get('/outside', gzip)
        const again = await s.get('/outside', gzip)
        expect(again.headers['x-cache']).toBe('MISS')
        expect(gunzipSync(again.body).toString()).toBe(text)
        expect(s.calls.of('outside')).toBe(2)
      })

      it('13. the TTL comes from the option or from s-maxage / max-age; after it, a MISS', async () => {
        await using s = await rig(framework, backend, { ttl: '1m' }, (app, cached, calls) => {
          app.get('/option', cached, (_req, res) => {
            res.send(`option ${calls.count('option')}`)
          })
          app.get('/max-age', cached, (_req, res) => {
            res.set('Cache-Control', 'public, max-age=30').send(`max-age ${calls.count('max-age')}`)
          })
          app.get('/s-maxage', cached, (_req, res) => {
            res.set('Cache-Control', 'max-age=3000, s-maxage=20').send('s-maxage')
          })
          app.get('/zero', cached, (_req, res) => {
            calls.count('zero')
            res.set('Cache-Control', 'max-age=0').send('zero')
          })
        })
        for (const path of ['/option', '/max-age', '/s-maxage', '/zero']) await s.get(path)
        const ttl = async (path: string) => s.cache.ttl(`http:GET ${path}`)
        expect(await ttl('/option')).toBeGreaterThan(50_000)
        expect(await ttl('/option')).toBeLessThanOrEqual(60_000)
        expect(await ttl('/max-age')).toBeGreaterThan(20_000)
        expect(await ttl('/max-age')).toBeLessThanOrEqual(30_000)
        expect(await ttl('/s-maxage')).toBeLessThanOrEqual(20_000)
        expect(await ttl('/zero')).toBeUndefined()
        expect((await s.get('/zero')).headers['x-cache']).toBe('MISS')

        await using short = await rig(framework, backend, { ttl: 150 }, (app, cached, calls) => {
          app.get('/short', cached, (_req, res) => {
            res.send(`short ${calls.count('short')}`)
          })
          app.get('/one-second', cached, (_req, res) => {
            res.set('Cache-Control', 's-maxage=1').send(`one ${calls.count('one')}`)
          })
        })
        await short.get('/short')
        await short.get('/one-second')
        expect((await short.get('/one-second')).headers['x-cache']).toBe('HIT')
        await eventually('the 150 ms entry expired', async () => !(await short.cache.has('http:GET /short')))
        const expired = await short.get('/short')
        expect([expired.headers['x-cache'], expired.text]).toEqual(['MISS', 'short 2'])
        await eventually(
          'the s-maxage=1 entry expired',
          async () => !(await short.cache.has('http:GET /one-second')),
          3000,
        )
        expect((await short.get('/one-second')).text).toBe('one 2')
      })

      it('15. concurrent misses on one key run the handler once; when the leader fails, the waiters run it themselves', async () => {
        const release = gate()
        let arrived = 0
        let flakyArrived = 0
        await using s = await rig(framework, backend, {}, (app, cached, calls) => {
          app.use((req, _res, next) => {
            if (req.path === '/flaky') flakyArrived++
            else arrived++
            next()
          })
          app.get('/slow', cached, async (_req, res) => {
            const run = calls.count('slow')
            await release.promise
            res.send(`computed ${run}`)
          })
          app.get('/flaky', cached, (_req, res) => {
            const run = calls.count('flaky')
            if (run === 1) {
              // The leader fails once every request has joined it.
              void eventually('every request joined', () => flakyArrived === 10).then(() =>
                res.status(500).send('leader failed'),
              )
              return
            }
            res.send(`recovered ${run}`)
          })
        })
        const replies = Array.from({ length: 12 }, () => s.get('/slow'))
        await eventually(
          'all requests arrived and the handler started',
          () => arrived === 12 && s.calls.of('slow') === 1,
        )
        release.open()
        const done = await Promise.all(replies)
        expect(s.calls.of('slow')).toBe(1)
        expect(new Set(done.map((r) => r.text))).toEqual(new Set(['computed 1']))
        expect(done.filter((r) => r.headers['x-cache'] === 'MISS')).toHaveLength(1)
        expect(done.filter((r) => r.headers['x-cache'] === 'HIT')).toHaveLength(11)

        const flaky = await Promise.all(Array.from({ length: 10 }, () => s.get('/flaky')))
        expect(flaky.filter((r) => r.status === 500)).toHaveLength(1)
        expect(flaky.filter((r) => r.status === 200)).toHaveLength(9)
        expect(s.calls.of('flaky')).toBe(10)
      })

      it('16. invalidate, invalidateTags (options, res.locals, req.cache.tag) and clear make the next request MISS, from another instance too', async () => {
        const routes = (
          app: import('express').Express,
          cached: import('../src/index.js').CacheResponseMiddleware,
        ) => {
          app.get('/p/:id', cached, (req, res) => {
            res.locals.cacheTags = [`product:${req.params.id}`]
            req.cache?.tag(`shelf:${Number(req.params.id) % 2}`)
            res.send(`product ${req.params.id} ${req.originalUrl} ${Date.now()}`)
          })
        }
        await using a = await rig(framework, backend, { tags: ['catalog'] }, routes)
        await using b = await rig(
          framework,
          backend,
          { tags: ['catalog'], cache: backend.peer(a.cache) },
          routes,
        )
        const status = async (s: typeof a, path: string) => (await s.get(path)).headers['x-cache']
        await a.get('/p/1')
        await a.get('/p/1?view=full')
        await a.get('/p/2')
        // Instance B shares A's entries.
        expect(await status(b, '/p/1')).toBe('HIT')

        await b.cached.invalidate('/p/1')
        expect(await status(a, '/p/1')).toBe('MISS')
        expect(await status(a, '/p/1?view=full')).toBe('MISS')
        expect(await status(a, '/p/2')).toBe('HIT')

        await b.cached.invalidate('/p/1?view=full')
        expect(await status(a, '/p/1')).toBe('HIT')
        expect(await status(a, '/p/1?view=full')).toBe('MISS')

        await b.cached.invalidateTags('product:2') // from res.locals
        expect(await status(a, '/p/2')).toBe('MISS')
        expect(await status(a, '/p/1')).toBe('HIT')
        await b.cached.invalidateTags(['shelf:1']) // from req.cache.tag()
        expect(await status(a, '/p/1')).toBe('MISS')
        expect(await status(a, '/p/2')).toBe('HIT')
        await b.cached.invalidateTags('catalog') // from the options
        expect(await status(a, '/p/1')).toBe('MISS')
        expect(await status(a, '/p/2')).toBe('MISS')

        // A process without the middleware invalidates through responseCacheInvalidator.
        const worker = responseCacheInvalidator({ cache: backend.peer(a.cache) })
        await worker.invalidate('/p/2')
        expect(await status(a, '/p/2')).toBe('MISS')

        expect(await status(a, '/p/1')).toBe('HIT')
        const cleared = await b.cached.clear()
        expect(cleared).toBeGreaterThanOrEqual(3)
        expect(await status(a, '/p/1')).toBe('MISS')
        expect(await status(a, '/p/2')).toBe('MISS')
        expect(await status(b, '/p/1?view=full')).toBe('MISS')
      })

      it('17. the middleware never rejects: with a closed cache every request is still answered', async () => {
        const cache = backend.create()
        const errors: unknown[] = []
        const cached = cacheResponse({ cache, onError: (error) => errors.push(error) })
        const app = framework.create()
        let runs = 0
        app.get('/x', cached, (_req, res) => {
          res.send(`run ${++runs}`)
        })
        await using server = await listen(app)
        await cache.close()
        const result = cached(
          { method: 'POST', headers: {} } as import('express').Request,
          {} as import('express').Response,
          () => {},
        )
        expect(result).toBeUndefined()
        const first = await request(server.url, '/x')
        const second = await request(server.url, '/x')
        expect([first.status, second.status]).toEqual([200, 200])
        expect(second.text).toBe('run 2')
        expect(errors.length).toBeGreaterThan(0)
        expect(errors[0]).toMatchObject({ code: 'E_CLOSED' })
      })

      it('two app instances share entries; concurrent misses across them run the handler once; a failed leader hands over', async () => {
        const release = gate()
        let arrived = 0
        const runs = { a: 0, b: 0 }
        let flakyRuns = 0
        const routes =
          (name: 'a' | 'b') =>
          (app: import('express').Express, cached: import('../src/index.js').CacheResponseMiddleware) => {
            app.use((_req, _res, next) => {
              arrived++
              next()
            })
            app.get('/shared', cached, async (_req, res) => {
              runs[name]++
              await release.promise
              res.send(`shared by ${name}`)
            })
            app.get('/flaky', cached, (_req, res) => {
              // The first run (whichever instance leads) fails; whoever takes over succeeds.
              if (++flakyRuns === 1) res.status(503).send('leader failed')
              else res.send(`recovered by ${name}`)
            })
          }
        await using a = await rig(framework, backend, {}, routes('a'))
        await using b = await rig(framework, backend, { cache: backend.peer(a.cache) }, routes('b'))
        const replies = [
          ...Array.from({ length: 5 }, () => a.get('/shared')),
          ...Array.from({ length: 5 }, () => b.get('/shared')),
        ]
        await eventually(
          'all requests arrived and one handler started',
          () => arrived === 10 && runs.a + runs.b === 1,
        )
        release.open()
        const done = await Promise.all(replies)
        expect(done.every((r) => r.status === 200)).toBe(true)
        // In one process the requests share one getOrSet; across processes (two caches on one
        // Redis) core's getOrSet lease makes the other instance wait for the stored response.
        expect(runs.a + runs.b).toBe(1)
        expect(new Set(done.map((r) => r.text)).size).toBe(1)
        expect((await b.get('/shared')).headers['x-cache']).toBe('HIT')

        const flaky = await Promise.all([
          ...Array.from({ length: 3 }, () => a.get('/flaky')),
          ...Array.from({ length: 3 }, () => b.get('/flaky')),
        ])
        expect(flaky.filter((r) => r.status === 503)).toHaveLength(1)
        expect(flaky.filter((r) => r.status === 200)).toHaveLength(5)
        expect(flakyRuns).toBeGreaterThanOrEqual(2)
      })
    })
  }
}
