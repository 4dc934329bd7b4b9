import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { inspect } from 'node:util'
import { trackDir, untrackDir } from './cleanup.js'
import type { SharedSettings } from './config.js'
import { HarnessError } from './errors.js'
import { type PortLease, reservePort } from './ports.js'
import { type ProcessExit, ServerProcess } from './process.js'
import { redactSecrets, redactUrl } from './redact.js'
import { type RespCommand, type RespEndpoint, type RespReply, redisCommand, redisCommands } from './resp.js'
import type { RedisNode, RedisNodeRole } from './types.js'
import { type Deadline, waitUntil } from './wait.js'

/** What kind of process a node runs. */
export type NodeKind = 'redis' | 'sentinel'

/** Lifecycle of a node's process as the deployment drives it. */
export type NodeState = 'new' | 'running' | 'paused' | 'killed' | 'stopped'

/** How to start one node. */
export interface NodeSpec {
  readonly kind: NodeKind
  readonly role: RedisNodeRole
  /** Goes into the temp dir's name: `rediskit-harness-<label>-XXXXXX`. */
  readonly label: string
  readonly bin: string
  readonly shared: SharedSettings
  readonly unixSocket: boolean
  /** Reserve the cluster bus port (port + 10000) too. */
  readonly clusterBus: boolean
  /** The config file text for a port (written at first start; a restart reuses the file as is). */
  readonly config: (port: number, dir: string) => string
}

const STOP_GRACE_MS = 1500
const TAIL_LINES = 30
const PORT_RETRIES = 5

/**
 * One redis-server or redis-sentinel of a deployment: the public {@link RedisNode} fields plus
 * the process behind them. `util.inspect` shows the URL without its password.
 */
export class ManagedNode implements RedisNode {
  role: RedisNodeRole
  readonly host = '127.0.0.1'
  port = 0
  address = ''
  url = ''
  pid = 0
  readonly dir: string
  declare socket?: string
  /** @internal */
  readonly kind: NodeKind
  /** @internal */
  state: NodeState = 'new'
  readonly #spec: NodeSpec
  #proc: ServerProcess | undefined
  #lease: PortLease | undefined
  readonly #configFile: string
  readonly #logFile: string
  readonly #outFile: string
  #logOffsets: [number, number] = [0, 0]

  constructor(spec: NodeSpec) {
    this.#spec = spec
    this.kind = spec.kind
    this.role = spec.role
    this.dir = realpathSync(mkdtempSync(join(realpathSync(tmpdir()), `rediskit-harness-${spec.label}-`)))
    trackDir(this.dir)
    this.#configFile = join(this.dir, spec.kind === 'sentinel' ? 'sentinel.conf' : 'redis.conf')
    this.#logFile = join(this.dir, spec.kind === 'sentinel' ? 'sentinel.log' : 'redis.log')
    this.#outFile = join(this.dir, 'stdout.log')
    if (spec.unixSocket && spec.kind === 'redis') this.socket = join(this.dir, 'redis.sock')
  }

  #setPort(port: number): void {
    this.port = port
    this.address = `${this.host}:${port}`
    const auth = this.#spec.shared.auth
    const scheme = this.#spec.shared.tls === undefined ? 'redis' : 'rediss'
    const credentials =
      auth === undefined
        ? ''
        : `${auth.username === undefined ? '' : encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@`
    this.url = `${scheme}://${credentials}${this.address}/0`
  }

  /** @internal Where the harness's own checks connect. */
  get endpoint(): RespEndpoint {
    const tls = this.#spec.shared.tls
    return {
      host: this.host,
      port: this.port,
      ...(tls === undefined ? {} : { tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey } }),
    }
  }

  /** @internal A running node that is not paused: the ones checks can talk to. */
  get live(): boolean {
    return this.state === 'running'
  }

  /** @internal */
  get processExit(): ProcessExit | undefined {
    return this.#proc?.exit
  }

  /** @internal One command with the deployment's credentials; error replies reject. */
  command(command: RespCommand, timeout = 2000): Promise<RespReply> {
    return redisCommand(this.endpoint, command, { auth: this.#spec.shared.auth, timeout })
  }

  /** @internal Several pipelined commands; error replies come back as values. */
  commands(commands: readonly RespCommand[], timeout = 2000): Promise<RespReply[]> {
    return redisCommands(this.endpoint, commands, { auth: this.#spec.shared.auth, timeout })
  }

  /** @internal A short name for messages: `replica 127.0.0.1:12345`. */
  get description(): string {
    return `${this.kind === 'sentinel' ? 'redis-sentinel' : `redis-server (${this.role})`} at ${this.address}`
  }

  /**
   * @internal First start: reserves a port, writes the config, spawns, waits for PING. When the
   * port was taken behind our back ("Address already in use"), retries with a new one.
   */
  async start(deadline: Deadline): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#lease = await reservePort({ bus: this.#spec.clusterBus })
      this.#setPort(this.#lease.port)
      writeFileSync(this.#configFile, this.#spec.config(this.port, this.dir))
      try {
        await this.#spawnAndWait(deadline)
        return
      } catch (error) {
        if (!(error instanceof HarnessError && error.code === 'E_HARNESS_START' && this.#portTaken()))
          throw error
        if (attempt >= PORT_RETRIES) throw error
        this.#lease.release()
        this.#lease = undefined
      }
    }
  }

  /** @internal Starts again with the same port, config file and dir; waits for PING. */
  async restart(deadline: Deadline): Promise<void> {
    if (this.#proc?.running) await this.kill()
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#spawnAndWait(deadline)
        return
      } catch (error) {
        // The old socket may linger a moment; the port lock is still ours, so wait and retry.
        if (!(error instanceof HarnessError && error.code === 'E_HARNESS_START' && this.#portTaken()))
          throw error
        if (attempt >= PORT_RETRIES || deadline.remaining() < 200) throw error
        await delay(100 * attempt)
      }
    }
  }

  async #spawnAndWait(deadline: Deadline): Promise<void> {
    this.#logOffsets = [fileSize(this.#logFile), fileSize(this.#outFile)]
    const args = [this.#configFile]
    this.#proc = await ServerProcess.spawn(this.#spec.bin, args, this.dir, this.#outFile)
    this.pid = this.#proc.pid
    this.state = 'running'
    const proc = this.#proc
    await waitUntil(
      `${this.description} to answer PING`,
      async () => {
        // Whatever answers first: the server, or its exit (then failIf reports it at once).
        const exited = proc.exited.then(() => 'exited')
        const reply = await Promise.race([this.command(['PING'], deadline.slice(1000)), exited])
        return reply === 'PONG' ? true : `PING answered ${String(reply)}`
      },
      deadline,
      {
        failIf: () => {
          const exit = proc.exit
          if (exit === undefined) return undefined
          this.state = 'killed'
          return this.startFailure(`exited (${exit.signal ?? `code ${exit.code}`}) while starting`)
        },
      },
    ).catch((error: unknown) => {
      if (error instanceof HarnessError && error.code === 'E_HARNESS_TIMEOUT') {
        throw new HarnessError('E_HARNESS_TIMEOUT', `${error.message}\n${this.logTail()}`)
      }
      throw error
    })
  }

  /** @internal A start error naming the node and carrying the tail of its log. */
  startFailure(what: string): HarnessError {
    return new HarnessError('E_HARNESS_START', `${this.description} ${what}.\n${this.logTail()}`)
  }

  #portTaken(): boolean {
    return /Address already in use/i.test(this.#newLog())
  }

  #newLog(): string {
    return `${readFrom(this.#outFile, this.#logOffsets[1])}\n${readFrom(this.#logFile, this.#logOffsets[0])}`
  }

  /** @internal The last lines of what the process wrote since it was (re)started, secrets masked. */
  logTail(): string {
    const lines = this.#newLog()
      .split('\n')
      .filter((l) => l.trim() !== '')
    const tail = lines.slice(-TAIL_LINES).join('\n')
    const auth = this.#spec.shared.auth
    return `--- last ${Math.min(TAIL_LINES, lines.length)} log lines of ${this.dir} ---\n${redactSecrets(tail, [auth?.password])}`
  }

  /** @internal SIGKILL and wait until the process is gone. */
  async kill(): Promise<void> {
    await this.#proc?.kill()
    if (this.state !== 'stopped') this.state = 'killed'
  }

  /** @internal SIGSTOP. */
  pause(): void {
    if (this.state !== 'running')
      throw new HarnessError(
        'E_HARNESS_STATE',
        `${this.description} is ${this.state}, not running: cannot pause it`,
      )
    this.#proc?.signal('SIGSTOP')
    this.state = 'paused'
  }

  /** @internal SIGCONT. */
  resume(): void {
    if (this.state !== 'paused')
      throw new HarnessError(
        'E_HARNESS_STATE',
        `${this.description} is ${this.state}, not paused: cannot resume it`,
      )
    this.#proc?.signal('SIGCONT')
    this.state = 'running'
  }

  /** @internal SIGTERM (SIGKILL after a grace period), then remove the dir and the port lock. */
  async stop(): Promise<void> {
    this.state = 'stopped'
    await this.#proc?.terminate(STOP_GRACE_MS)
    this.#lease?.release()
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 })
    untrackDir(this.dir)
  }

  [inspect.custom](_depth: number, options: object): string {
    const shown = {
      role: this.role,
      host: this.host,
      port: this.port,
      address: this.address,
      url: redactUrl(this.url),
      ...(this.socket === undefined ? {} : { socket: this.socket }),
      pid: this.pid,
      dir: this.dir,
    }
    return `RedisNode ${inspect(shown, options)}`
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8')
  } catch {
    return ''
  }
}
