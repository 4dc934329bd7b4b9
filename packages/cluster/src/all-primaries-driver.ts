import { type Driver, type RedisArg, type RedisCommand, RediskitError, type RedisReply } from '@rediskit/core'
import { type ClusterConnection, PENDING_ID } from './cluster-connection.js'

/** Separates the primary's address from its own cursor in a composite SCAN cursor. */
const CURSOR_SEPARATOR = '|'

/**
 * What `primaries()` returns while the slot map is not known yet (nothing has connected): one
 * driver standing for every primary. It waits for the Cluster to connect (within the command
 * deadline; at once `E_CONNECTION` while the cluster is known to be down), then
 *
 * - runs `SCAN` over every primary, one after the other, with a composite cursor
 *   (`<primary address>|<that primary's cursor>`; `0` starts and ends the walk), so a caller's
 *   usual SCAN loop covers the whole cluster;
 * - sends any other command (FLUSHDB, DBSIZE...) to every primary and answers with the first
 *   primary's reply (or the first failure).
 *
 * Once the slot map is known, `primaries()` hands out one {@link ShardDriver} per primary instead.
 */
export class AllPrimariesDriver implements Driver {
  readonly id = PENDING_ID
  readonly #connection: ClusterConnection
  readonly #nodeDriver: (address: string) => Driver

  constructor(connection: ClusterConnection, nodeDriver: (address: string) => Driver) {
    this.#connection = connection
    this.#nodeDriver = nodeDriver
  }

  get client(): unknown {
    return this.#connection.cluster
  }

  async send(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    await this.#connection.prepare(command)
    const primaries = this.#connection.primaryAddresses().sort()
    if (primaries.length === 0) {
      throw new RediskitError('E_CONNECTION', 'the Redis Cluster has no primary serving any slot', {
        details: { node: PENDING_ID, command },
      })
    }
    if (command.toUpperCase() === 'SCAN') return this.#scan(args, primaries)
    const replies = await Promise.all(
      primaries.map((address) => this.#nodeDriver(address).send(command, args)),
    )
    return replies[0] ?? null
  }

  async batch(commands: readonly RedisCommand[]): Promise<(RedisReply | Error)[]> {
    if (commands.length === 0) return []
    // A batch that cannot be sent at all fails as a whole, like other drivers' batches.
    await this.#connection.prepare(commands[0]?.[0] ?? 'batch')
    return Promise.all(
      commands.map(([name, ...args]) =>
        this.send(name, args).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        ),
      ),
    )
  }

  /** The topology owns the connections. */
  close(): Promise<void> {
    return Promise.resolve()
  }

  async #scan(args: readonly RedisArg[], primaries: readonly string[]): Promise<RedisReply> {
    const [cursorArg, ...rest] = args
    const cursor =
      cursorArg === undefined ? '0' : Buffer.isBuffer(cursorArg) ? cursorArg.toString() : String(cursorArg)
    let address: string
    let inner: string
    if (cursor === '0') {
      address = primaries[0] as string
      inner = '0'
    } else {
      const at = cursor.lastIndexOf(CURSOR_SEPARATOR)
      if (at <= 0) {
        throw new RediskitError('E_CONFIG', `'${cursor}' is not a cursor this driver returned`, {
          details: { node: PENDING_ID, command: 'SCAN' },
        })
      }
      address = cursor.slice(0, at)
      inner = cursor.slice(at + 1)
    }
    const reply = await this.#nodeDriver(address).send('SCAN', [inner, ...rest])
    if (!Array.isArray(reply) || reply.length !== 2) return reply
    const next = text(reply[0] ?? null)
    if (next !== '0') return [`${address}${CURSOR_SEPARATOR}${next}`, reply[1] ?? []]
    // This primary is done: continue with the next address in order (robust to a primary set
    // that changed meanwhile; a primary promoted mid-walk with a smaller address is not visited).
    const following = primaries.find((candidate) => candidate > address)
    return [following === undefined ? '0' : `${following}${CURSOR_SEPARATOR}0`, reply[1] ?? []]
  }
}

function text(reply: RedisReply): string {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8')
  return String(reply)
}
