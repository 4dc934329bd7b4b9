import { Command, Redis } from 'ioredis'
import type { ConnectionOptions } from './connection-options.js'
import { type ErrorCode, RediskitError } from './errors.js'
import { DEFAULT_COMMAND_TIMEOUT, ioredisOptionsFor } from './ioredis-options.js'
import { parseLocation, type RedisLocation } from './location.js'
import { inspectSymbol, redact } from './redact.js'
import { describeSocketError, isAuthFailure, scrubError, TLS_FAILURE } from './socket-errors.js'
import type { Driver, RedisArg, RedisCommand, RedisReply } from './types.js'

/** Options of {@link IoredisDriver}. */
export interface IoredisDriverOptions {
  /** Credential-free name of the endpoint for messages; derived from the client's options by default. */
  id?: string | undefined
  /** Close the client in {@link IoredisDriver.close}. Default `false`: a client you pass in stays yours. */
  owned?: boolean | undefined
  /** Deadline of each command in ms. Default: the client's `commandTimeout`, else 1000. */
  commandTimeout?: number | undefined
}

/** Replies that reach the driver: ioredis's Buffer-mode replies, or its errors. */
type RawReply = RedisReply | undefined

/** ioredis's message when a command meets a closed connection. */
const CLOSED_MESSAGE = 'Connection is closed.'

const NAMES = new Map<string, string>()
/** ioredis keys its command flags on lower-case names; cache the conversion. */
function lower(name: string): string {
  let out = NAMES.get(name)
  if (out === undefined) {
    out = name.toLowerCase()
    if (NAMES.size < 1000) NAMES.set(name, out)
  }
  return out
}

/**
 * A {@link Driver} over one ioredis `Redis` instance (standalone or sentinel-managed).
 *
 * - Replies come back in Buffer mode: bulk strings are `Buffer`s, integers numbers, nil `null`.
 * - Commands are written straight to the connection (`sendCommand` of an ioredis `Command`), and
 *   the writes of one tick are corked into one socket write: what ioredis's auto-pipelining does,
 *   without building a Pipeline object per tick.
 * - Every command has a deadline (`commandTimeout`), also on a client that was created without one.
 * - While the connection is down (reconnecting after a failure), commands fail at once with
 *   `E_CONNECTION` instead of queueing; ioredis keeps reconnecting in the background.
 * - Errors are `RediskitError`s: `E_TIMEOUT`, `E_CONNECTION` (refused, dropped, TLS, bad
 *   credentials), `E_REDIS` (an error reply; the message is the reply's), `E_PROTOCOL`, `E_CLOSED`.
 *   Their `cause` is a scrubbed copy of ioredis's error (never the command arguments).
 */
export class IoredisDriver implements Driver {
  readonly id: string
  readonly #client: Redis
  readonly #owned: boolean
  readonly #timeout: number
  readonly #secrets: string[]
  #closed = false
  #closing: Promise<void> | undefined
  /** The last connection-level error since the connection was last ready. */
  #lastError: Error | undefined
  #corked = false
  readonly #onError = (error: Error): void => {
    this.#lastError = error
  }
  readonly #onReady = (): void => {
    this.#lastError = undefined
  }
  readonly #uncork = (): void => {
    this.#corked = false
    const stream = this.#client.stream
    if (stream !== undefined && stream.writableCorked > 0) stream.uncork()
  }

  constructor(client: Redis, options: IoredisDriverOptions = {}) {
    this.#client = client
    this.#owned = options.owned ?? false
    const configured = client.options.commandTimeout
    this.#timeout =
      options.commandTimeout ?? (typeof configured === 'number' ? configured : DEFAULT_COMMAND_TIMEOUT)
    this.#secrets = [client.options.password, client.options.sentinelPassword].filter(
      (secret): secret is string => typeof secret === 'string' && secret !== '',
    )
    this.id = options.id ?? describeClient(client)
    client.on('error', this.#onError)
    client.on('ready', this.#onReady)
  }

  /** The ioredis instance. */
  get client(): Redis {
    return this.#client
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    const refused = this.#refuse(command)
    if (refused !== undefined) return Promise.reject(refused)
    this.#cork()
    return this.#dispatch(command, args).then(normalize, (error: unknown) => {
      throw this.#wrap(error, command)
    })
  }

  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    if (commands.length === 0) return Promise.resolve([])
    const refused = this.#refuse(commands[0]?.[0] ?? 'batch')
    if (refused !== undefined) return Promise.reject(refused)
    this.#cork()
    const pending = commands.map(([name, ...args]) =>
      this.#dispatch(name, args).then(normalize, (error: unknown) => this.#wrap(error, name)),
    )
    return Promise.all(pending)
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    this.#closed = true
    this.#closing = this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    const client = this.#client
    if (!this.#owned) {
      client.off('error', this.#onError)
      client.off('ready', this.#onReady)
      return
    }
    // Our listeners stay on an owned client: ioredis may still report the socket's last error.
    if (client.status === 'ready') {
      // QUIT lets in-flight replies arrive; its deadline is the command timeout.
      await client.quit().catch(() => undefined)
    }
    if (client.status === 'end') return
    if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'ready') {
      // Waiting, or between reconnection attempts: no socket; this cancels the next attempt.
      client.disconnect()
      return
    }
    // Resolve once the socket is gone, so a closed cache leaves no handle behind. ioredis
    // destroys a socket that does not close within its disconnectTimeout (2 s by default).
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, (client.options.disconnectTimeout ?? 2000) + 500)
      client.once('end', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    client.disconnect()
    await ended
  }

  #dispatch(name: string, args: readonly RedisArg[]): Promise<RawReply> {
    const command = new Command(lower(name), args as RedisArg[], { replyEncoding: null })
    command.setTimeout(this.#timeout)
    this.#client.sendCommand(command)
    return command.promise as Promise<RawReply>
  }

  /** Coalesces the writes of this tick into one socket write (the stream is uncorked next tick). */
  #cork(): void {
    if (this.#corked) return
    const client = this.#client
    if (client.status !== 'ready' || client.stream === undefined) return
    this.#corked = true
    client.stream.cork()
    process.nextTick(this.#uncork)
  }

  /** Fails fast when the command cannot be sent: driver closed, or the connection is down. */
  #refuse(command: string): RediskitError | undefined {
    if (this.#closed) return this.#closedError(command)
    const status = this.#client.status
    if (status === 'reconnecting' && this.#lastError !== undefined) {
      return this.#wrap(this.#lastError, command)
    }
    if (status === 'end' && !this.#owned) {
      return new RediskitError('E_CLOSED', `the ioredis client of ${this.id} was closed by its owner`, {
        details: { node: this.id, command },
      })
    }
    return undefined
  }

  #closedError(command: string): RediskitError {
    return new RediskitError('E_CLOSED', `the connection to ${this.id} is closed`, {
      details: { node: this.id, command },
    })
  }

  /** Maps an ioredis (or socket) error to a RediskitError whose message and cause hold no secrets. */
  #wrap(error: unknown, command: string): RediskitError {
    if (error instanceof RediskitError) return error
    if (this.#closed) return this.#closedError(command)
    const raw = error instanceof Error ? error : new Error(String(error))
    const message = redact(raw.message, this.#secrets)
    const details = { node: this.id, command }
    const cause = scrubError(raw, message)
    const make = (code: ErrorCode, text: string): RediskitError =>
      new RediskitError(code, text, { cause, details })

    if (raw.name === 'ReplyError') {
      if (isAuthFailure(message)) {
        return make(
          'E_CONNECTION',
          `authentication to Redis at ${this.id} failed: ${message} (check the user name and password)`,
        )
      }
      return make('E_REDIS', message)
    }
    if (raw.name === 'ParserError') return make('E_PROTOCOL', `invalid reply from ${this.id}: ${message}`)
    if (message === 'Command timed out') {
      const last = this.#lastError
      if (this.#client.status !== 'ready' && last !== undefined) {
        return this.#wrap(last, command)
      }
      return make('E_TIMEOUT', `${command} on ${this.id} timed out after ${this.#timeout} ms`)
    }
    // Connection-level: the flushed queue of a dropped connection, a refused or closed socket, a
    // TLS failure. The last socket error, when there is one, says more than ioredis's wrapper.
    const last = this.#lastError
    const wrapper =
      raw.name === 'MaxRetriesPerRequestError' || raw.name === 'AbortError' || message === CLOSED_MESSAGE
    let reason: string
    if (wrapper && last !== undefined && last !== raw) reason = describeSocketError(last, this.#secrets)
    else if (wrapper) reason = 'the connection was lost'
    else reason = describeSocketError(raw, this.#secrets)
    if (last !== undefined && last.name === 'ReplyError' && isAuthFailure(last.message)) {
      return make(
        'E_CONNECTION',
        `authentication to Redis at ${this.id} failed: ${redact(last.message, this.#secrets)} (check the user name and password)`,
      )
    }
    const hint = TLS_FAILURE.test(reason)
      ? ': the server certificate was not accepted (check tls.ca / tls.servername)'
      : ''
    return make('E_CONNECTION', `cannot reach Redis at ${this.id}: ${reason}${hint}`)
  }

  /** `util.inspect` shows the endpoint and state, never the client (its options hold the password). */
  [inspectSymbol](): string {
    return `IoredisDriver { id: '${this.id}', status: '${this.#closed ? 'closed' : this.#client.status}', owned: ${this.#owned} }`
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, owned: this.#owned }
  }
}

/**
 * Creates an ioredis client for one location (lazy: nothing connects until the first command) and
 * wraps it in an {@link IoredisDriver} that owns it.
 */
export function ioredisDriver(
  location: string | RedisLocation,
  options: ConnectionOptions = {},
): IoredisDriver {
  const parsed = typeof location === 'string' ? parseOne(location, options) : location
  const client = new Redis(ioredisOptionsFor(parsed, options))
  return new IoredisDriver(client, {
    id: parsed.address,
    owned: true,
    commandTimeout: options.commandTimeout,
  })
}

function parseOne(location: string, options: ConnectionOptions): RedisLocation {
  const parsed = parseLocation(location, {
    db: options.db,
    username: options.username,
    password: options.password,
    tls: options.tls !== undefined,
  })
  if (parsed.length !== 1 || parsed[0] === undefined) {
    throw new RediskitError('E_CONFIG', `a driver connects to one location, got ${parsed.length}`)
  }
  return parsed[0]
}

/** Buffer-mode replies as rediskit types them (ioredis may hand back `undefined` for some nils). */
function normalize(reply: RawReply): RedisReply {
  return reply === undefined ? null : reply
}

function describeClient(client: Redis): string {
  const options = client.options
  if (Array.isArray(options.sentinels) && options.sentinels.length > 0)
    return `sentinel:${options.name ?? 'mymaster'}`
  if (typeof options.path === 'string') return options.path
  const host = options.host ?? 'localhost'
  return `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}`
}
