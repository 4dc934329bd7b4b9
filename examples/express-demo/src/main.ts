import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDemoApp } from './app.js'
import { openBackend } from './backend.js'
import { SLOW_MS } from './catalog.js'
import { runTour } from './tour.js'

// `npm run demo`: starts the demo app, prints its URL, runs the tour (MISS, HIT, invalidation, MISS
// again) and exits: 0 when every answer was the expected one. With DEMO_SERVE=1 it keeps serving
// after the tour until Ctrl-C, for trying it with curl or a browser.
const truthy = (value: string | undefined): boolean => value === '1' || value === 'true'
const oneshot = !truthy(process.env.DEMO_SERVE)
const print = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

async function main(): Promise<number> {
  const backend = await openBackend()
  const { app, cached } = createDemoApp(backend.cache)
  const server = createServer(app)
  let port: number
  const wanted = process.env.PORT === undefined ? (oneshot ? 0 : 3000) : Number(process.env.PORT)
  try {
    port = await listen(server, wanted)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.env.PORT !== undefined) throw error
    port = await listen(server, 0)
  }
  const url = `http://127.0.0.1:${port}`
  const shutdown = async (): Promise<void> => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await backend.close()
  }

  print(`rediskit demo listening on ${url}`)
  print(`cache: ${backend.description}`)
  await cached.clear() // start cold, also on a Redis that ran the demo before
  print('')
  print(`The tour: a catalog API whose handlers take ${SLOW_MS} ms, behind cacheResponse():`)
  print('')
  const ok = await runTour(url, print)

  if (oneshot) {
    await shutdown()
    if (!ok) print('The tour did not go as expected (see UNEXPECTED above).')
    return ok ? 0 : 1
  }
  print('')
  print(`Still serving: try  curl -i ${url}/catalog  (index: ${url}/ ). Ctrl-C stops the demo.`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await shutdown()
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error('the demo failed:', error)
    process.exitCode = 1
  },
)
