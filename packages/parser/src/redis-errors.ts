import { createRequire } from 'node:module'

/** The error classes of the `redis-errors` package, which redis-parser's users match on. */
export interface RedisErrorClasses {
  RedisError: new (message?: string) => Error
  ReplyError: new (message: string) => Error
  ParserError: new (
    message: string,
    buffer: string,
    offset: number,
  ) => Error & { offset: number; buffer: string }
}

/** Stand-ins with the same names and shapes, for when `redis-errors` is not installed. */
class RedisError extends Error {
  override get name(): string {
    return this.constructor.name
  }
}

class ReplyError extends RedisError {
  constructor(message: string) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 2
    super(message)
    Error.stackTraceLimit = limit
  }
}

class ParserError extends RedisError {
  readonly offset: number
  readonly buffer: string

  constructor(message: string, buffer: string, offset: number) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 2
    super(message)
    Error.stackTraceLimit = limit
    this.offset = offset
    this.buffer = buffer
  }
}

const builtIn: RedisErrorClasses = { RedisError, ReplyError, ParserError }

/**
 * `redis-errors` when it can be resolved (an optional peer dependency: code written for
 * redis-parser imports its classes from there, so `instanceof` keeps working), else the
 * stand-ins above.
 */
export function loadRedisErrors(): { classes: RedisErrorClasses; fromPackage: boolean } {
  try {
    const required = createRequire(import.meta.url)('redis-errors') as Partial<RedisErrorClasses>
    if (
      typeof required.ReplyError === 'function' &&
      typeof required.ParserError === 'function' &&
      typeof required.RedisError === 'function'
    ) {
      return { classes: required as RedisErrorClasses, fromPackage: true }
    }
  } catch {
    // not installed: use the stand-ins
  }
  return { classes: builtIn, fromPackage: false }
}
