/**
 * An error reply from Redis (`-ERR ...` or a RESP3 blob error `!...`), as the {@link Decoder}
 * hands it out by default. It is data, not a failure of the decoder: no stack trace is captured
 * (the decoder's stack says nothing about the command that failed).
 */
export class ReplyError extends Error {
  override readonly name = 'ReplyError'

  constructor(message: string) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
  }

  /** The error's prefix, e.g. `ERR`, `WRONGTYPE`, `NOSCRIPT`: the message up to the first space. */
  get prefix(): string {
    const space = this.message.indexOf(' ')
    return space === -1 ? this.message : this.message.slice(0, space)
  }
}

/** Builds the error object of an error reply; `blob` is true for RESP3 blob errors (`!`). */
export type ErrorFactory = (message: string, blob: boolean) => Error

/** The default {@link ErrorFactory}: a {@link ReplyError}. */
export const replyError: ErrorFactory = (message) => new ReplyError(message)
