import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'

/**
 * A deliberately tiny RESP2 client over node:net / node:tls, enough for the harness's readiness
 * checks and fault helpers (PING, INFO, ROLE, SENTINEL, CLUSTER ...). One connection per call:
 * AUTH (if any) and the commands are pipelined, the replies read, the connection closed.
 */

/** Where to connect: TCP (optionally TLS) or a unix socket. */
export interface RespEndpoint {
  readonly host?: string
  readonly port?: number
  readonly socket?: string
  /** Connect with TLS, trusting `ca`; `cert`/`key` present a client certificate. */
  readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string }
}

/** Credentials sent with AUTH before the commands. */
export interface RespAuth {
  readonly username?: string | undefined
  readonly password: string
}

export interface RespOptions {
  readonly auth?: RespAuth | undefined
  /** ms for connect + all replies; default 2000. */
  readonly timeout?: number
}

/** An error reply from the server (`-ERR ...`). */
export class RespError extends Error {
  override readonly name = 'RespError'
}

export type RespReply = string | number | null | RespError | RespReply[]
export type RespCommand = readonly (string | number)[]

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: RespCommand): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const data = Buffer.from(String(arg))
    parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** Parses one reply at `offset`; `undefined` when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, offset: number): [RespReply, number] | undefined {
  if (offset >= buf.length) return undefined
  const end = buf.indexOf('\r\n', offset)
  if (end === -1) return undefined
  const type = String.fromCharCode(buf[offset] ?? 0)
  const line = buf.toString('utf8', offset + 1, end)
  const next = end + 2
  switch (type) {
    case '+':
      return [line, next]
    case '-':
      return [new RespError(line), next]
    case ':':
      return [Number(line), next]
    case '$': {
      const len = Number(line)
      if (len < 0) return [null, next]
      if (buf.length < next + len + 2) return undefined
      return [buf.toString('utf8', next, next + len), next + len + 2]
    }
    case '*': {
      const count = Number(line)
      if (count < 0) return [null, next]
      const items: RespReply[] = []
      let at = next
      for (let i = 0; i < count; i++) {
        const parsed = parseReply(buf, at)
        if (parsed === undefined) return undefined
        items.push(parsed[0])
        at = parsed[1]
      }
      return [items, at]
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`)
  }
}

function open(endpoint: RespEndpoint): Socket {
  if (endpoint.socket !== undefined) return netConnect({ path: endpoint.socket })
  const host = endpoint.host ?? '127.0.0.1'
  const port = endpoint.port ?? 6379
  if (endpoint.tls !== undefined) {
    return tlsConnect({
      host,
      port,
      ca: endpoint.tls.ca,
      ...(endpoint.tls.cert === undefined ? {} : { cert: endpoint.tls.cert }),
      ...(endpoint.tls.key === undefined ? {} : { key: endpoint.tls.key }),
    })
  }
  return netConnect({ host, port })
}

function where(endpoint: RespEndpoint): string {
  return endpoint.socket ?? `${endpoint.host ?? '127.0.0.1'}:${endpoint.port ?? 6379}`
}

/**
 * Sends `commands` on one new connection and resolves with one reply per command (error replies
 * are {@link RespError} values in the array). Rejects when the connection fails, AUTH is refused,
 * or the replies do not arrive within the timeout.
 */
export function redisCommands(
  endpoint: RespEndpoint,
  commands: readonly RespCommand[],
  options: RespOptions = {},
): Promise<RespReply[]> {
  const timeout = options.timeout ?? 2000
  const auth = options.auth
  const all: RespCommand[] = [...commands]
  if (auth !== undefined) {
    all.unshift(
      auth.username === undefined ? ['AUTH', auth.password] : ['AUTH', auth.username, auth.password],
    )
  }
  return new Promise<RespReply[]>((resolve, reject) => {
    const socket = open(endpoint)
    const replies: RespReply[] = []
    let buf: Buffer = Buffer.alloc(0)
    let done = false
    const finish = (error: Error | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (error !== undefined) {
        reject(error)
        return
      }
      if (auth !== undefined) {
        const authReply = replies.shift()
        if (authReply instanceof RespError) {
          reject(new RespError(`AUTH refused by ${where(endpoint)}: ${authReply.message}`))
          return
        }
      }
      resolve(replies)
    }
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${where(endpoint)} within ${timeout} ms`)),
      timeout,
    )
    socket.once(
      endpoint.tls === undefined || endpoint.socket !== undefined ? 'connect' : 'secureConnect',
      () => {
        socket.write(Buffer.concat(all.map(encodeCommand)))
      },
    )
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      let offset = 0
      try {
        for (;;) {
          const parsed = parseReply(buf, offset)
          if (parsed === undefined) break
          replies.push(parsed[0])
          offset = parsed[1]
        }
      } catch (error) {
        finish(error as Error)
        return
      }
      buf = buf.subarray(offset)
      if (replies.length >= all.length) finish(undefined)
    })
    socket.on('error', (error) => finish(new Error(`${where(endpoint)}: ${error.message}`, { cause: error })))
    socket.on('close', () => finish(new Error(`${where(endpoint)} closed the connection before replying`)))
  })
}

/** Sends one command; rejects with the {@link RespError} when the server answers with an error. */
export async function redisCommand(
  endpoint: RespEndpoint,
  command: RespCommand,
  options: RespOptions = {},
): Promise<RespReply> {
  const [reply] = await redisCommands(endpoint, [command], options)
  if (reply instanceof RespError) throw reply
  return reply ?? null
}
