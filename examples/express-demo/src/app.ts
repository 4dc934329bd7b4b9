import type { Cache } from '@rediskit/core'
import { type CacheResponseMiddleware, cacheResponse } from '@rediskit/express'
import express, { type Express } from 'express'
import { Catalog, type Product } from './catalog.js'

/** The demo app and its response cache. */
export interface DemoApp {
  app: Express
  cached: CacheResponseMiddleware
}

const productTag = (id: number): string => `product:${id}`

/**
 * A small catalog API: slow reads behind `cacheResponse`, a write that invalidates by tag, an
 * invalidation endpoint and a stats page.
 */
export function createDemoApp(cache: Cache): DemoApp {
  const catalog = new Catalog()
  const cached = cacheResponse({ cache, ttl: '1m', tags: ['catalog'] })
  const app = express()

  app.get('/', (_req, res) => {
    res
      .type('text/plain')
      .send(
        [
          'rediskit demo: a slow catalog API behind @rediskit/express',
          '',
          'GET  /catalog                 every product (slow; cached, tagged with each product)',
          'GET  /catalog/:id             one product (slow; cached)',
          'PUT  /catalog/:id?price=99    changes a price and invalidates the tag product:<id>',
          'POST /cache/invalidate?tag=catalog | ?path=/catalog/1',
          'POST /cache/clear             drops every cached response',
          'GET  /stats                   cache hits, misses and latency',
          '',
          'Responses carry X-Cache: MISS, HIT or BYPASS, and Age on hits.',
        ].join('\n'),
      )
  })

  app.get('/catalog', cached, async (_req, res) => {
    const products = await catalog.list()
    res.locals.cacheTags = products.map((product: Product) => productTag(product.id))
    res.json(products)
  })

  app.get('/catalog/:id', cached, async (req, res) => {
    const id = Number(req.params.id)
    const product = await catalog.find(id)
    if (product === undefined) {
      res.status(404).json({ error: `no product ${req.params.id}` })
      return
    }
    res.locals.cacheTags = [productTag(id)]
    res.json(product)
  })

  app.put('/catalog/:id', async (req, res) => {
    const id = Number(req.params.id)
    const price = Number(req.query.price)
    if (!Number.isFinite(price)) {
      res.status(400).json({ error: 'give ?price=<number>' })
      return
    }
    const product = catalog.update(id, price)
    if (product === undefined) {
      res.status(404).json({ error: `no product ${req.params.id}` })
      return
    }
    // Before answering: a client that reads right after its write sees the new price.
    await cached.invalidateTags(productTag(id))
    res.json(product)
  })

  app.post('/cache/invalidate', async (req, res) => {
    const { tag, path } = req.query
    if (typeof tag === 'string' && tag !== '') await cached.invalidateTags(tag)
    else if (typeof path === 'string' && path !== '') await cached.invalidate(path)
    else {
      res.status(400).json({ error: 'give ?tag=<tag> or ?path=<path>' })
      return
    }
    res.json({ invalidated: tag ?? path })
  })

  app.post('/cache/clear', async (_req, res) => {
    res.json({ cleared: await cached.clear() })
  })

  app.get('/stats', (_req, res) => {
    res.json(cache.stats())
  })

  return { app, cached }
}
