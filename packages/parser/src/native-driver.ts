import { connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions as TlsConnectOptions, connect as tlsConnect } from 'node:tls'
import {
  type Driver,
  parseLocation,
  type RedisArg,
  type RedisCommand,
  RediskitError,
  type RedisLocation,
  type RedisReply,
  type TlsOptions,
} from '@rediskit/core'
import { Decoder } from './decoder.js'
import {
  describeSocketError,
  forCommand,
  isAuthFailure,
  redact,
  scrub,
  unreachable,
} from './driver-errors.js'
import { CommandEncoder, checkCommand, checkCommandArray } from './encoder.js'
import { Fifo } from './fifo.js'
import type { NativeDriverOptions } from './native-driver-options.js'
import type { RespValue } from './resp-types.js'

/** Where the connection is. */
export type NativeDriverState = 'idle' | 'connecting' | 'ready' | 'down' | 'closed'

const DEFAULT_CONNECT_TIMEOUT = 5000
const DEFAULT_COMMAND_TIMEOUT = 1000
const DEFAULT_OFFLINE_LIMIT = 10_000
const DEFAULT_KEEP_ALIVE = 30_000

/** Reconnection backoff: 50 ms doubling up to 1 s, plus up to 50 ms of jitter; never gives up. */
function defaultReconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), 1000) + Math.floor(Math.random() * 50)
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

interface BatchState {
  readonly results: (RedisReply | Error)[]
  left: number
  readonly resolve: (results: (RedisReply | Error)[]) => void
}

/** One command waiting for its reply (or for the connection). Settles once. */
class Pending {
  done = false
  constructor(
    readonly name: string,
    /** Kept only while the command waits for a connection (it is encoded when one is ready). */
    public args: readonly RedisArg[] | undefined,
    public whole: RedisCommand | undefined,
    readonly deadline: number,
    readonly resolve: ((reply: RedisReply) => void) | undefined,
    readonly reject: ((error: Error) => void) | undefined,
    readonly batch: BatchState | undefined,
    readonly index: number,
    /** Handshake and QUIT: resolved with the reply or the error reply, never rejected. */
    readonly internal: ((reply: RespValue | Error) => void) | undefined,
  ) {}

  /** One command of `send()`: `args` kept only while it waits for a connection. */
  static single(
    name: string,
    args: readonly RedisArg[] | undefined,
    deadline: number,
    resolve: (reply: RedisReply) => void,
    reject: (error: Error) => void,
  ): Pending {
    return new Pending(name, args, undefined, deadline, resolve, reject, undefined, 0, undefined)
  }

  ok(reply: RespValue): void {
    if (this.done) return
    this.done = true
    if (this.internal !== undefined) this.internal(reply)
    else if (this.batch !== undefined) this.#slot(reply as RedisReply)
    else this.resolve!(reply as RedisReply)
  }

  fail(error: Error): void {
    if (this.done) return
    this.done = true
    if (this.internal !== undefined) this.internal(error)
    else if (this.batch !== undefined) this.#slot(error)
    else this.reject!(error)
  }

  #slot(value: RedisReply | Error): void {
    const batch = this.batch!
    batch.results[this.index] = value
    if (--batch.left === 0) batch.resolve(batch.results)
  }
}

/**
 * A {@link Driver} on one pipelined connection over `node:net` / `node:tls` (TCP, TLS, unix
 * sockets), speaking RESP3 (or RESP2) through rediskit's {@link Decoder} and
 * {@link CommandEncoder}. See {@link nativeDriver}.
 */
export class NativeDriver implements Driver {
  readonly id: string
  readonly #location: RedisLocation
  readonly #tls: TlsOptions | undefined
  readonly #secrets: string[]
  readonly #connectTimeout: number
  readonly #timeout: number
  readonly #wantProtocol: 2 | 3
  readonly #clientName: string | undefined
  readonly #offlineLimit: number
  readonly #reconnectDelay: (attempt: number) => number
  readonly #keepAlive: number | false
  readonly #decoder: Decoder
  readonly #encoder = new CommandEncoder()
  /** Sent commands, oldest first. The first `#timedOut` of them already failed with E_TIMEOUT. */
  readonly #inflight = new Fifo<Pending>()
  #timedOut = 0
  /** Commands waiting for a connection to be set up. */
  readonly #offline = new Fifo<Pending>()

  #state: NativeDriverState = 'idle'
  #protocol: 2 | 3 | undefined
  #socket: Socket | undefined
  /** Why the current socket is being torn down (set before destroying it). */
  #failure: RediskitError | undefined
  #socketError: Error | undefined
  /** The failure of the last connection, while down: what commands fail with. */
  #lastError: RediskitError | undefined
  #attempt = 0
  #reconnectTimer: NodeJS.Timeout | undefined
  #connectTimer: NodeJS.Timeout | undefined
  #deadlineTimer: NodeJS.Timeout | undefined
  #flushScheduled = false
  #closed = false
  #closing: Promise<void> | undefined
  #onClosed: (() => void) | undefined

  readonly #flush = (): void => {
    this.#flushScheduled = false
    const socket = this.#socket
    if (socket === undefined || socket.destroyed || this.#encoder.pendingBytes === 0) return
    this.#write(socket)
  }

  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined
    this.#sweep()
  }

  constructor(location: RedisLocation, options: NativeDriverOptions = {}) {
    this.#location = location
    this.#tls = options.tls
    this.id = options.id ?? location.address
    this.#secrets = location.password === undefined || location.password === '' ? [] : [location.password]
    this.#connectTimeout = positive(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT, 'connectTimeout')
    this.#timeout = positive(options.commandTimeout, DEFAULT_COMMAND_TIMEOUT, 'commandTimeout')
    const protocol = options.protocol ?? 3
    if (protocol !== 2 && protocol !== 3)
      throw new RediskitError('E_CONFIG', 'nativeDriver: protocol must be 2 or 3')
    this.#wantProtocol = protocol
    this.#clientName = options.clientName
    this.#offlineLimit = positive(options.offlineQueueLimit, DEFAULT_OFFLINE_LIMIT, 'offlineQueueLimit')
    this.#reconnectDelay = options.reconnectDelay ?? defaultReconnectDelay
    this.#keepAlive = options.keepAlive ?? DEFAULT_KEEP_ALIVE
    const onPush = options.onPush
    this.#decoder = new Decoder({
      onReply: (reply) => this.#reply(reply),
      onErrorReply: (error) => this.#errorReply(error),
      onProtocolError: (error) => this.#protocolError(error),
      onPush:
        onPush === undefined
          ? undefined
          : (push) => {
              try {
                onPush(push)
              } catch (error) {
                // The listener's bug must not break decoding: surface it outside the data handler.
                queueMicrotask(() => {
                  throw error
                })
              }
            },
      returnBuffers: 'bulk',
      maps: 'array',
      sets: 'array',
    })
  }

  /** `idle` (never connected), `connecting`, `ready`, `down` (waiting to reconnect) or `closed`. */
  get state(): NativeDriverState {
    return this.#state
  }

  /** The RESP version of the current connection (`undefined` before the first handshake). */
  get protocol(): 2 | 3 | undefined {
    return this.#protocol
  }

  /** The driver itself: there is no other client underneath. */
  get client(): NativeDriver {
    return this
  }

  send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    if (this.#state !== 'ready') return this.#sendLater(command, args)
    return new Promise<RedisReply>((resolve, reject) => {
      // Throws E_ENCODE before writing anything: the promise rejects, nothing is queued.
      this.#encoder.write(command, args)
      const pending = Pending.single(command, undefined, performance.now() + this.#timeout, resolve, reject)
      this.#inflight.push(pending)
      if (this.#deadlineTimer === undefined) this.#arm(pending.deadline)
      this.#scheduleFlush()
    })
  }

  batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    const n = commands.length
    if (n === 0) return Promise.resolve([])
    const refused = this.#refuse(commands[0]![0])
    if (refused !== undefined) return Promise.reject(refused)
    try {
      for (const command of commands) checkCommandArray(command)
    } catch (error) {
      return Promise.reject(error)
    }
    const ready = this.#state === 'ready'
    if (!ready && this.#offline.size + n > this.#offlineLimit) {
      return Promise.reject(this.#offlineFull(commands[0]![0]))
    }
    return new Promise<(RedisReply | Error)[]>((resolve) => {
      const batch: BatchState = { results: new Array<RedisReply | Error>(n), left: n, resolve }
      const deadline = performance.now() + this.#timeout
      for (let i = 0; i < n; i++) {
        const command = commands[i]!
        const pending = new Pending(
          command[0],
          undefined,
          ready ? undefined : command,
          deadline,
          undefined,
          undefined,
          batch,
          i,
          undefined,
        )
        if (ready) {
          this.#encoder.writeArray(command)
          this.#inflight.push(pending)
        } else {
          this.#offline.push(pending)
        }
      }
      if (this.#deadlineTimer === undefined) this.#arm(deadline)
      if (ready) this.#scheduleFlush()
      else if (this.#state === 'idle') this.#connect()
    })
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    const wasReady = this.#state === 'ready'
    this.#closed = true
    this.#state = 'closed'
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    for (const pending of this.#offline.drain()) pending.fail(this.#closedError(pending.name))
    const socket = this.#socket
    if (socket === undefined) {
      this.#finishClose()
      this.#closing = Promise.resolve()
      return this.#closing
    }
    this.#closing = new Promise<void>((resolve) => {
      this.#onClosed = resolve
    })
    if (wasReady) {
      // QUIT behind what is in flight: those replies still arrive, then the server hangs up.
      this.#encoder.write('QUIT', [])
      this.#inflight.push(
        new Pending(
          'QUIT',
          undefined,
          undefined,
          Number.POSITIVE_INFINITY,
          undefined,
          undefined,
          undefined,
          0,
          () => {},
        ),
      )
      this.#write(socket)
      setTimeout(() => socket.destroy(), this.#timeout + 1000).unref()
    } else {
      socket.destroy()
    }
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** `util.inspect` shows the endpoint and state, never credentials. */
  [inspectSymbol](): string {
    return `NativeDriver { id: '${this.id}', state: '${this.#state}', protocol: ${this.#protocol ?? 'none'}, inflight: ${this.#inflight.size - this.#timedOut} }`
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, state: this.#state, protocol: this.#protocol }
  }

  // ---- sending ---------------------------------------------------------------------------

  #sendLater(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    const refused = this.#refuse(command)
    if (refused !== undefined) return Promise.reject(refused)
    try {
      checkCommand(command, args)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#offline.size >= this.#offlineLimit) return Promise.reject(this.#offlineFull(command))
    return new Promise<RedisReply>((resolve, reject) => {
      const pending = Pending.single(command, args, performance.now() + this.#timeout, resolve, reject)
      this.#offline.push(pending)
      if (this.#deadlineTimer === undefined) this.#arm(pending.deadline)
      if (this.#state === 'idle') this.#connect()
    })
  }

  /** Fails fast when a command cannot be sent: driver closed, or the connection known to be down. */
  #refuse(command: string): RediskitError | undefined {
    if (this.#closed) return this.#closedError(command)
    if (this.#state === 'down' && this.#lastError !== undefined) return forCommand(this.#lastError, command)
    return undefined
  }

  #offlineFull(command: string): RediskitError {
    return new RediskitError(
      'E_CONNECTION',
      `cannot send ${command} to ${this.id}: ${this.#offlineLimit} commands are already waiting for the connection (offlineQueueLimit)`,
      { details: { node: this.id, command } },
    )
  }

  #closedError(command: string): RediskitError {
    return new RediskitError('E_CLOSED', `the connection to ${this.id} is closed`, {
      details: { node: this.id, command },
    })
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // After the current tick's microtasks: every command issued in this tick goes in one write.
    process.nextTick(this.#flush)
  }

  #write(socket: Socket): void {
    const chunks = this.#encoder.take()
    if (chunks.length === 1) {
      socket.write(chunks[0]!)
      return
    }
    socket.cork()
    for (const chunk of chunks) socket.write(chunk)
    socket.uncork()
  }

  // ---- deadlines -------------------------------------------------------------------------

  #arm(at: number): void {
    const delay = Math.max(0, Math.ceil(at - performance.now()))
    this.#deadlineTimer = setTimeout(this.#onDeadline, delay)
    this.#deadlineTimer.unref()
  }

  /**
   * Fails every command past its deadline with E_TIMEOUT. Commands share one timeout and are
   * queued in the order they were issued, so the expired ones are always the oldest: a prefix of
   * the in-flight queue (their late replies are still matched and dropped), then the head of
   * the offline queue (removed: they were never sent).
   */
  #sweep(): void {
    const now = performance.now()
    const inflight = this.#inflight
    let i = this.#timedOut
    for (
      let pending = inflight.at(i);
      pending !== undefined && pending.deadline <= now;
      pending = inflight.at(++i)
    ) {
      pending.fail(this.#timeoutError(pending.name))
    }
    this.#timedOut = i
    const offline = this.#offline
    for (let head = offline.at(0); head !== undefined && head.deadline <= now; head = offline.at(0)) {
      offline.shift()
      head.fail(this.#timeoutError(head.name))
    }
    const next = Math.min(
      inflight.at(i)?.deadline ?? Number.POSITIVE_INFINITY,
      offline.at(0)?.deadline ?? Number.POSITIVE_INFINITY,
    )
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next)
  }

  #timeoutError(command: string): RediskitError {
    return new RediskitError('E_TIMEOUT', `${command} on ${this.id} timed out after ${this.#timeout} ms`, {
      details: { node: this.id, command },
    })
  }

  // ---- replies ---------------------------------------------------------------------------

  #reply(reply: RespValue): void {
    const pending = this.#inflight.shift()
    if (pending === undefined) {
      this.#protocolError(
        new RediskitError('E_PROTOCOL', 'a reply arrived while no command was waiting for one'),
      )
      return
    }
    if (this.#timedOut > 0) this.#timedOut--
    pending.ok(reply)
  }

  #errorReply(error: Error): void {
    const pending = this.#inflight.shift()
    if (pending === undefined) {
      this.#protocolError(
        new RediskitError('E_PROTOCOL', 'an error reply arrived while no command was waiting for one'),
      )
      return
    }
    if (this.#timedOut > 0) this.#timedOut--
    if (pending.done) return
    if (pending.internal !== undefined) {
      pending.fail(error)
      return
    }
    const message = redact(error.message, this.#secrets)
    if (isAuthFailure(message)) {
      // NOAUTH on a connection set up without a password (as the ioredis driver reports it).
      pending.fail(this.#setupError(pending.name, error))
      return
    }
    pending.fail(
      new RediskitError('E_REDIS', message, {
        cause: scrub(error, this.#secrets),
        details: { node: this.id, command: pending.name },
      }),
    )
  }

  #protocolError(error: RediskitError): void {
    const socket = this.#socket
    if (socket === undefined) return
    this.#teardown(
      socket,
      new RediskitError('E_PROTOCOL', `invalid reply from ${this.id}: ${error.message}`, {
        cause: error,
        details: { node: this.id },
      }),
    )
  }

  // ---- the connection --------------------------------------------------------------------

  #connect(): void {
    this.#state = 'connecting'
    const location = this.#location
    let socket: Socket
    try {
      if (location.kind === 'unix') socket = netConnect({ path: location.path })
      else if (location.tls)
        socket = tlsConnect({
          host: location.host,
          port: location.port,
          ...tlsOptions(this.#tls, location.host),
        })
      else socket = netConnect({ host: location.host, port: location.port })
    } catch (error) {
      // Invalid TLS material and the like throw synchronously.
      const raw = error instanceof Error ? error : new Error(String(error))
      this.#down(unreachable(this.id, describeSocketError(raw, this.#secrets), scrub(raw, this.#secrets)))
      return
    }
    this.#socket = socket
    this.#socketError = undefined
    this.#failure = undefined
    this.#protocol = undefined
    socket.setNoDelay(true)
    if (this.#keepAlive !== false) socket.setKeepAlive(true, this.#keepAlive)
    this.#connectTimer = setTimeout(() => {
      this.#teardown(
        socket,
        unreachable(this.id, `not connected within connectTimeout (${this.#connectTimeout} ms)`),
      )
    }, this.#connectTimeout)
    this.#connectTimer.unref()
    socket.once(location.kind === 'tcp' && location.tls ? 'secureConnect' : 'connect', () => {
      void this.#handshake(socket)
    })
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.#socket) this.#decoder.write(chunk)
    })
    socket.on('error', (error: Error) => {
      if (socket === this.#socket) this.#socketError ??= error
    })
    socket.once('close', () => this.#onClose(socket))
  }

  /** HELLO 3 [AUTH] [SETNAME] (+ SELECT) in one round trip; AUTH/SETNAME/SELECT on RESP2 servers. */
  async #handshake(socket: Socket): Promise<void> {
    const location = this.#location
    const password = location.password
    const username = location.username
    const name = this.#clientName
    const db = location.db
    let protocol: 2 | 3 = this.#wantProtocol
    try {
      if (protocol === 3) {
        const args: RedisArg[] = ['3']
        if (password !== undefined) args.push('AUTH', username ?? 'default', password)
        if (name !== undefined) args.push('SETNAME', name)
        const hello = this.#internal('HELLO', args)
        const select = db !== 0 ? this.#internal('SELECT', [db]) : undefined
        this.#write(socket)
        const reply = await hello
        const selected = await select
        if (reply instanceof Error) {
          if (!/^NOPROTO|unknown command|wrong number of arguments/i.test(reply.message)) {
            throw this.#setupError('HELLO', reply)
          }
          protocol = 2 // Redis < 6: no HELLO
        } else if (selected instanceof Error) {
          throw this.#setupError('SELECT', selected)
        }
      }
      if (protocol === 2) {
        const steps: [string, Promise<RespValue | Error>][] = []
        if (password !== undefined) {
          steps.push([
            'AUTH',
            this.#internal('AUTH', username === undefined ? [password] : [username, password]),
          ])
        }
        if (name !== undefined) steps.push(['CLIENT', this.#internal('CLIENT', ['SETNAME', name])])
        if (db !== 0) steps.push(['SELECT', this.#internal('SELECT', [db])])
        if (steps.length > 0) this.#write(socket)
        for (const [command, step] of steps) {
          const reply = await step
          if (reply instanceof Error) throw this.#setupError(command, reply)
        }
      }
    } catch (error) {
      this.#teardown(socket, error instanceof RediskitError ? error : unreachable(this.id, String(error)))
      return
    }
    if (socket !== this.#socket || this.#closed) return
    clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#state = 'ready'
    this.#protocol = protocol
    this.#attempt = 0
    this.#lastError = undefined
    // Commands that waited for the connection, in order (those past their deadline are gone).
    for (let pending = this.#offline.shift(); pending !== undefined; pending = this.#offline.shift()) {
      if (pending.whole !== undefined) this.#encoder.writeArray(pending.whole)
      else this.#encoder.write(pending.name, pending.args ?? [])
      pending.args = undefined
      pending.whole = undefined
      this.#inflight.push(pending)
    }
    if (this.#encoder.pendingBytes > 0) this.#write(socket)
  }

  /** Queues a setup command on the connection being set up; resolves with its reply or error reply. */
  #internal(command: string, args: readonly RedisArg[]): Promise<RespValue | Error> {
    return new Promise<RespValue | Error>((resolve) => {
      this.#encoder.write(command, args)
      this.#inflight.push(
        new Pending(
          command,
          undefined,
          undefined,
          Number.POSITIVE_INFINITY,
          undefined,
          undefined,
          undefined,
          0,
          resolve,
        ),
      )
    })
  }

  #setupError(command: string, reply: Error): RediskitError {
    const message = redact(reply.message, this.#secrets)
    const cause = scrub(reply, this.#secrets)
    if (reply instanceof RediskitError) return reply
    if (isAuthFailure(message)) {
      return new RediskitError(
        'E_CONNECTION',
        `authentication to Redis at ${this.id} failed: ${message} (check the user name and password)`,
        { cause, details: { node: this.id, command } },
      )
    }
    return new RediskitError(
      'E_CONNECTION',
      `setting up the connection to ${this.id} failed: ${command}: ${message}`,
      {
        cause,
        details: { node: this.id, command },
      },
    )
  }

  /** Ends the socket because of `reason` (what every waiting command then fails with). */
  #teardown(socket: Socket, reason: RediskitError): void {
    if (socket !== this.#socket) return
    this.#failure ??= reason
    if (!this.#closed) {
      // From now on commands fail fast with the reason, until the close event moves on.
      this.#state = 'down'
      this.#lastError = this.#failure
    }
    socket.destroy()
  }

  #onClose(socket: Socket): void {
    if (socket !== this.#socket) return
    this.#socket = undefined
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#decoder.reset()
    this.#encoder.take() // bytes never sent: dropped with their commands below
    const socketError = this.#socketError
    const error =
      this.#failure ??
      (socketError === undefined
        ? unreachable(this.id, 'the connection was lost')
        : unreachable(
            this.id,
            describeSocketError(socketError, this.#secrets),
            scrub(socketError, this.#secrets),
          ))
    this.#failure = undefined
    this.#socketError = undefined
    this.#timedOut = 0
    // Commands in flight may or may not have run: they fail, and are never sent again.
    for (const pending of this.#inflight.drain()) {
      pending.fail(this.#closed ? this.#closedError(pending.name) : forCommand(error, pending.name))
    }
    if (this.#closed) {
      this.#finishClose()
      return
    }
    this.#down(error)
  }

  /** The connection failed: fail what waits for it, fail fast from now on, and retry later. */
  #down(error: RediskitError): void {
    this.#state = 'down'
    this.#lastError = error
    for (const pending of this.#offline.drain()) pending.fail(forCommand(error, pending.name))
    const delay = this.#reconnectDelay(++this.#attempt)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      if (!this.#closed) this.#connect()
    }, delay)
    this.#reconnectTimer.unref()
  }

  #finishClose(): void {
    this.#state = 'closed'
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer)
    this.#deadlineTimer = undefined
    this.#onClosed?.()
    this.#onClosed = undefined
  }
}

/**
 * Creates a {@link NativeDriver}: rediskit's own connection to one Redis endpoint, a `Driver`
 * for `StandaloneTopology` / `RedisStore` / `createCache({ topology })`.
 *
 * ```ts
 * import { createCache, StandaloneTopology } from '@rediskit/core'
 * import { nativeDriver } from '@rediskit/parser'
 * const cache = createCache({ topology: new StandaloneTopology(nativeDriver('redis://127.0.0.1:6379/0')) })
 * ```
 *
 * Lazy: nothing connects until the first command, and creating one for a server that is down
 * neither blocks nor throws. An invalid location throws `E_CONFIG` at once.
 */
export function nativeDriver(
  location: string | RedisLocation,
  options: NativeDriverOptions = {},
): NativeDriver {
  let parsed: RedisLocation
  if (typeof location === 'string') {
    const all = parseLocation(location, {
      db: options.db,
      username: options.username,
      password: options.password,
      tls: options.tls !== undefined,
    })
    if (all.length !== 1 || all[0] === undefined) {
      throw new RediskitError('E_CONFIG', `nativeDriver connects to one location, got ${all.length}`)
    }
    parsed = all[0]
  } else {
    parsed = location
  }
  return new NativeDriver(parsed, options)
}

/** Node TLS options; the server certificate is verified unless `rejectUnauthorized: false`. */
function tlsOptions(tls: TlsOptions | undefined, host: string): TlsConnectOptions {
  const out: TlsConnectOptions = { rejectUnauthorized: tls?.rejectUnauthorized ?? true }
  if (tls?.ca !== undefined)
    out.ca = typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? tls.ca : [...tls.ca]
  if (tls?.cert !== undefined) out.cert = tls.cert
  if (tls?.key !== undefined) out.key = tls.key
  // Node refuses an IP address as SNI name; it checks the certificate's IP SANs without one.
  const servername = tls?.servername ?? (isIp(host) ? undefined : host)
  if (servername !== undefined) out.servername = servername
  return out
}

function isIp(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0)) {
    throw new RediskitError('E_CONFIG', `nativeDriver: ${name} must be a positive number of milliseconds`)
  }
  return value
}
