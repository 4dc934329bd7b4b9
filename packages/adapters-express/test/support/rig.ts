import type { Cache } from '@rediskit/core'
import type { Express } from 'express'
import { type CacheResponseMiddleware, type CacheResponseOptions, cacheResponse } from '../../src/index.js'
import type { Backend } from './backends.js'
import type { Framework } from './frameworks.js'
import { type Listening, listen, type Reply, type RequestOptions, request } from './http.js'

/** Counts handler runs by name. */
export class Calls {
  readonly #counts = new Map<string, number>()
  count(name: string): number {
    const next = (this.#counts.get(name) ?? 0) + 1
    this.#counts.set(name, next)
    return next
  }
  of(name: string): number {
    return this.#counts.get(name) ?? 0
  }
}

/** An app with the middleware, listening: what every acceptance test starts from. */
export interface Rig extends Listening {
  cache: Cache
  cached: CacheResponseMiddleware
  calls: Calls
  get(path: string, options?: RequestOptions): Promise<Reply>
}

export type RigOptions = Omit<CacheResponseOptions, 'cache'> & { cache?: Cache }

/** Builds an app (`routes` mounts what the test needs, usually behind `cached`) and starts it. */
export async function rig(
  framework: Framework,
  backend: Backend,
  options: RigOptions,
  routes: (app: Express, cached: CacheResponseMiddleware, calls: Calls) => void,
): Promise<Rig> {
  const cache = options.cache ?? backend.create()
  const cached = cacheResponse({ ...options, cache })
  const calls = new Calls()
  const app = framework.create()
  routes(app, cached, calls)
  const server = await listen(app)
  return {
    ...server,
    cache,
    cached,
    calls,
    get: (path, requestOptions) => request(server.url, path, requestOptions),
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}
