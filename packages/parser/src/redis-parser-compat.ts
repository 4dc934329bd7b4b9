import type { RediskitError } from '@rediskit/core'
import { Decoder } from './decoder.js'
import { loadRedisErrors } from './redis-errors.js'
import type { RespValue } from './resp-types.js'

const { classes, fromPackage } = loadRedisErrors()

/** `RedisError` from `redis-errors` (or an equivalent class when that package is not installed). */
export const RedisError = classes.RedisError
/** `ReplyError` from `redis-errors`: what error replies are. */
export const ReplyError = classes.ReplyError
/** `ParserError` from `redis-errors`: what protocol errors are. */
export const ParserError = classes.ParserError
/** Whether the error classes are the ones of the installed `redis-errors` package. */
export const usesRedisErrorsPackage: boolean = fromPackage

/** redis-parser 3's constructor options. */
export interface RedisParserOptions {
  /** Every reply that is not a top-level error. */
  returnReply: (reply: RespValue) => void
  /** Top-level error replies (`ReplyError`); also protocol errors when there is no `returnFatalError`. */
  returnError: (error: Error) => void
  /** Protocol errors (`ParserError`); the parser has been reset. Defaults to `returnError`. */
  returnFatalError?: ((error: Error) => void) | undefined
  /** Strings (simple and bulk) as Buffers. Default `false`. */
  returnBuffers?: boolean | undefined
  /** Integers as strings. Default `false`. */
  stringNumbers?: boolean | undefined
}

/**
 * A drop-in replacement for redis-parser 3 (`new Parser({ returnReply, returnError,
 * returnFatalError, returnBuffers, stringNumbers })`, `execute`, `reset`, `setReturnBuffers`,
 * `setStringNumbers`, errors from `redis-errors`) on rediskit's {@link Decoder}.
 *
 * Differences, all on input redis-parser gets wrong:
 * - Integers beyond 2^53 come back as exact decimal strings (redis-parser rounds them to the
 *   nearest double) unless `stringNumbers` is on, where every integer is a string anyway.
 * - Buffers handed out are never overwritten later (redis-parser returns views of a shared pool
 *   for replies that span chunks, and reuses that pool).
 * - Malformed input (a payload without its CR LF, a length that is not a number) is a
 *   `ParserError` instead of garbage replies.
 * - RESP3 replies decode too (maps as null-prototype objects, sets as arrays).
 * - An exception thrown by `returnReply` does not lose the rest of the chunk: the remaining
 *   replies are delivered, then `execute` rethrows it.
 */
export class RedisParser {
  /**
   * The named exports, also as statics: `require('@rediskit/parser/compat')` returns this class
   * itself (as `require('redis-parser')` does), and `const { ReplyError } = require(...)` works too.
   */
  static readonly ParserError = ParserError
  static readonly RedisError = RedisError
  static readonly RedisParser: typeof RedisParser = RedisParser
  static readonly ReplyError = ReplyError
  static readonly usesRedisErrorsPackage: boolean = usesRedisErrorsPackage

  readonly #decoder: Decoder
  #returnBuffers: boolean
  #stringNumbers: boolean
  /** The chunk being executed, for ParserError's `buffer` (as redis-parser reports it). */
  #current: Buffer | undefined

  constructor(options: RedisParserOptions) {
    if (!options) throw new TypeError('Options are mandatory.')
    if (typeof options.returnError !== 'function' || typeof options.returnReply !== 'function') {
      throw new TypeError('The returnReply and returnError options have to be functions.')
    }
    const returnError = options.returnError
    const returnFatalError = options.returnFatalError ?? options.returnError
    this.#returnBuffers = !!options.returnBuffers
    this.#stringNumbers = !!options.stringNumbers
    this.#decoder = new Decoder({
      onReply: options.returnReply,
      onErrorReply: returnError,
      onProtocolError: (error: RediskitError) => {
        const buffer = JSON.stringify(this.#current ?? Buffer.alloc(0))
        returnFatalError(new ParserError(`Protocol error: ${error.message}`, buffer, 0))
      },
      returnBuffers: this.#returnBuffers,
      stringNumbers: this.#stringNumbers,
      bigNumbers: 'string',
      errorFactory: (message) => new ReplyError(message),
    })
  }

  /** The current `returnBuffers` setting. */
  get optionReturnBuffers(): boolean {
    return this.#returnBuffers
  }

  /** The current `stringNumbers` setting. */
  get optionStringNumbers(): boolean {
    return this.#stringNumbers
  }

  /** Feeds a chunk; complete replies go to the callbacks before it returns. */
  execute(buffer: Buffer): void {
    this.#current = buffer
    try {
      this.#decoder.write(buffer)
    } finally {
      this.#current = undefined
    }
  }

  /** Drops any partial reply. */
  reset(): void {
    this.#decoder.reset()
  }

  /** Switches Buffer output on or off without resetting. */
  setReturnBuffers(returnBuffers: boolean): void {
    if (typeof returnBuffers !== 'boolean')
      throw new TypeError('The returnBuffers argument has to be a boolean')
    this.#returnBuffers = returnBuffers
    this.#decoder.setReturnBuffers(returnBuffers)
  }

  /** Switches string integers on or off without resetting. */
  setStringNumbers(stringNumbers: boolean): void {
    if (typeof stringNumbers !== 'boolean')
      throw new TypeError('The stringNumbers argument has to be a boolean')
    this.#stringNumbers = stringNumbers
    this.#decoder.setStringNumbers(stringNumbers)
  }
}
