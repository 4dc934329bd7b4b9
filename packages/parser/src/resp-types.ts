import type { RediskitError } from '@rediskit/core'
import type { ErrorFactory } from './reply-error.js'

/**
 * A decoded RESP2/RESP3 value.
 *
 * | RESP type | value |
 * |---|---|
 * | simple string `+`, bulk string `$`, verbatim string `=`, streamed string `$?` | `string`, or `Buffer` per `returnBuffers` |
 * | simple error `-`, blob error `!` | `Error` (a `ReplyError` unless `errorFactory` says otherwise) |
 * | integer `:` | `number`; beyond 2^53 a `bigint` (or `string`, per `bigNumbers`); a `string` with `stringNumbers` |
 * | double `,` | `number` (also `Infinity`, `-Infinity`, `NaN`) |
 * | big number `(` | `bigint` (or `string`, per `bigNumbers`) |
 * | boolean `#` | `boolean` |
 * | null `_`, `$-1`, `*-1` | `null` |
 * | array `*`, push `>` | array |
 * | set `~` | array, or `Set` per `sets` |
 * | map `%`, attribute `\|` | null-prototype object, `Map` or flat `[key, value, ...]` array per `maps` |
 */
export type RespValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Error
  | RespValue[]
  | RespObject
  | Map<RespValue, RespValue>
  | Set<RespValue>

/** A RESP3 map decoded to an object. It has no prototype: `__proto__` and `constructor` are plain keys. */
export interface RespObject {
  [key: string]: RespValue
}

/** How RESP3 maps (and attributes) are returned. */
export type MapMode = 'object' | 'map' | 'array'

/** How RESP3 sets are returned. */
export type SetMode = 'array' | 'set'

/** Options of {@link Decoder}. Limits protect against a broken or hostile peer; all are checked before allocating. */
export interface DecoderOptions {
  /** Receives every complete top-level reply, in order. */
  onReply: (reply: RespValue) => void
  /**
   * Receives top-level error replies (`-ERR ...`, `!...`). Without it they go to `onReply` as
   * `Error` objects. Errors nested in an aggregate (EXEC results) stay in place in that aggregate.
   */
  onErrorReply?: ((error: Error) => void) | undefined
  /** Receives RESP3 push frames (`>`: pub/sub messages, client-side caching invalidations). Without it they are dropped: a push is never taken for a reply. */
  onPush?: ((push: RespValue[]) => void) | undefined
  /**
   * Receives RESP3 attributes (`|`), in stream order: an attribute describes the value that follows
   * it (the next reply, or the next element of the aggregate being read). Without it they are dropped.
   */
  onAttribute?: ((attributes: RespValue) => void) | undefined
  /**
   * Receives `RediskitError` `E_PROTOCOL` when the input is not valid RESP; the decoder has already
   * reset itself and dropped the rest of that chunk. Without it, `write()` throws the error.
   */
  onProtocolError?: ((error: RediskitError) => void) | undefined
  /**
   * `false` (default): every string type is a JS string (UTF-8). `true`: every string type
   * (simple, bulk, verbatim, streamed) is a `Buffer`. `'bulk'`: bulk, verbatim and streamed
   * strings are Buffers, simple strings (status replies such as `OK`) are strings.
   */
  returnBuffers?: boolean | 'bulk' | undefined
  /** Integers (`:`) as decimal strings, exact at any size (redis-parser's option). Default `false`. */
  stringNumbers?: boolean | undefined
  /** Integers beyond 2^53 and RESP3 big numbers: `'bigint'` (default) or `'string'` (exact decimal text). */
  bigNumbers?: 'bigint' | 'string' | undefined
  /** RESP3 maps: `'object'` (default, null prototype), `'map'` or `'array'` (flat, as RESP2 returns HGETALL). */
  maps?: MapMode | undefined
  /** RESP3 sets: `'array'` (default) or `'set'`. */
  sets?: SetMode | undefined
  /** Builds the error objects of error replies. Default: `new ReplyError(message)`. */
  errorFactory?: ErrorFactory | undefined
  /** Deepest nesting of aggregates accepted. Default 1024. */
  maxDepth?: number | undefined
  /** Most elements in one aggregate (a map counts keys and values). Default 2^27. */
  maxElements?: number | undefined
  /** Longest bulk string (and streamed string in total), bytes. Default 512 MiB (Redis's `proto-max-bulk-len`). */
  maxBulkLength?: number | undefined
  /** Longest line (simple string, error, number, header), bytes. Default 1 MiB. */
  maxLineLength?: number | undefined
}
