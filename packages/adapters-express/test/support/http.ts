import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'

/** A response as the client saw it: raw body bytes (nothing decoded). */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
  /** Milliseconds from sending the request to the end of the response. */
  ms: number
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
}

/** One real HTTP request over a fresh TCP connection (no agent, no keep-alive). */
export function request(base: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: body.toString('utf8'),
          ms: performance.now() - started,
        })
      })
    })
    req.end(options.body)
  })
}

/** An app listening on an ephemeral loopback port; `close()` (or `await using`) stops it. */
export interface Listening {
  url: string
  server: Server
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export function listen(app: Express): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1')
    server.once('error', reject)
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo
      const close = (): Promise<void> =>
        new Promise((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      resolve({ url: `http://127.0.0.1:${port}`, server, close, [Symbol.asyncDispose]: close })
    })
  })
}
