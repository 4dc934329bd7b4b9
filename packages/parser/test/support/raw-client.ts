import { connect, type Socket } from 'node:net'
import { Decoder, type DecoderOptions, encodeCommand, type RespValue } from '../../src/index.js'

/**
 * A bare RESP client for conformance tests: the package's encoder and decoder on a plain socket,
 * nothing else (no handshake logic, no timeouts beyond the test's own).
 */
export class RawClient {
  readonly pushes: RespValue[][] = []
  readonly attributes: RespValue[] = []
  readonly #socket: Socket
  readonly #waiting: { resolve: (value: RespValue) => void; reject: (error: unknown) => void }[] = []

  private constructor(socket: Socket, options: Partial<DecoderOptions>) {
    this.#socket = socket
    const decoder = new Decoder({
      onReply: (reply) => this.#waiting.shift()?.resolve(reply),
      onErrorReply: (error) => this.#waiting.shift()?.resolve(error),
      onPush: (push) => this.pushes.push(push),
      onAttribute: (attributes) => this.attributes.push(attributes),
      onProtocolError: (error) => {
        for (const waiter of this.#waiting.splice(0)) waiter.reject(error)
      },
      ...options,
    })
    socket.on('data', (chunk: Buffer) => decoder.write(chunk))
    socket.on('close', () => {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('connection closed'))
    })
  }

  static async connect(port: number, options: Partial<DecoderOptions> = {}): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket, options)
  }

  /** Sends commands in one write (a pipeline) and resolves with their replies in order. */
  pipeline(commands: (string | number | Buffer)[][]): Promise<RespValue[]> {
    const replies = commands.map(
      () => new Promise<RespValue>((resolve, reject) => this.#waiting.push({ resolve, reject })),
    )
    this.#socket.write(
      Buffer.concat(commands.flatMap(([name, ...args]) => encodeCommand(name as string, args))),
    )
    return Promise.all(replies)
  }

  async call(...command: (string | number | Buffer)[]): Promise<RespValue> {
    const [reply] = await this.pipeline([command])
    return reply as RespValue
  }

  close(): void {
    this.#socket.destroy()
  }
}
