import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** What a response sent, as seen by {@link captureResponse} once it is over. */
export interface CapturedResponse {
  /** True when the response finished ('finish'); false when the connection closed first (aborted). */
  finished: boolean
  status: number
  /** `res.getHeaders()` when the response finished. */
  headers: OutgoingHttpHeaders
  /** The body bytes as written, or `undefined` when they exceeded `maxBodySize`. */
  body: Buffer | undefined
  /**
   * True when `Content-Encoding` changed after the body started: a layer below this middleware
   * (e.g. `compression` mounted before it) transformed the bytes we saw, so they must not be stored.
   */
  transformed: boolean
}

type Method = (...args: unknown[]) => unknown

/**
 * Tees everything the handler writes (`res.write` any number of times, `res.end` in every
 * signature, `stream.pipe(res)`) while it goes to the client unchanged, and resolves once the
 * response is over. Bodies beyond `maxBodySize` stop being kept (they still reach the client).
 */
export function captureResponse(res: ServerResponse, maxBodySize: number): Promise<CapturedResponse> {
  const chunks: Buffer[] = []
  let size = 0
  let overflow = false
  let started = false
  let encodingAtStart: unknown

  const keep = (chunk: unknown, encoding: unknown): void => {
    if (!started) {
      started = true
      encodingAtStart = res.getHeader('content-encoding')
    }
    if (overflow || chunk === undefined || chunk === null) return
    let bytes: Buffer
    if (typeof chunk === 'string') {
      bytes = Buffer.from(
        chunk,
        typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8',
      )
    } else if (chunk instanceof Uint8Array) {
      bytes = Buffer.from(chunk) // a copy: the writer may reuse its buffer
    } else {
      return
    }
    size += bytes.length
    if (size > maxBodySize) {
      overflow = true
      chunks.length = 0
      return
    }
    chunks.push(bytes)
  }

  const write = res.write as unknown as Method
  const end = res.end as unknown as Method
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    keep(args[0], args[1])
    return write.apply(this, args)
  } as unknown as ServerResponse['write']
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (typeof args[0] !== 'function') keep(args[0], args[1])
    else keep(undefined, undefined)
    return end.apply(this, args)
  } as unknown as ServerResponse['end']

  return new Promise((resolve) => {
    let settled = false
    const settle = (finished: boolean): void => {
      if (settled) return
      settled = true
      res.off('finish', onFinish)
      res.off('close', onClose)
      resolve({
        finished,
        status: res.statusCode,
        headers: res.getHeaders(),
        body: overflow ? undefined : Buffer.concat(chunks, size),
        transformed: started && res.getHeader('content-encoding') !== encodingAtStart,
      })
    }
    const onFinish = (): void => settle(true)
    const onClose = (): void => settle(res.writableFinished)
    res.on('finish', onFinish)
    res.on('close', onClose)
  })
}
