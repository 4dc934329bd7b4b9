import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'

/**
 * A cached response as stored in the cache (through its serializer: plain JSON-compatible data,
 * so every structured serializer stores it). Version 1.
 */
export interface StoredResponse {
  /** Format version of this record. */
  v: 1
  status: number
  /** Lower-cased header names with their values, as the handler set them (see {@link storableHeaders}). */
  headers: [string, string | string[]][]
  /** The body: UTF-8 text as is, anything else in base64 (see `encoding`). */
  body: string
  encoding: 'utf8' | 'base64'
  /** When the response was produced (epoch ms): the base of `Age`. */
  createdAt: number
  /** When it stops being fresh (epoch ms); `undefined` = as long as the cache keeps it. */
  expiresAt?: number
  /** Request headers the response varies on (its `Vary` header, lower-cased), with the values it was produced for. */
  vary?: string[]
  varyValues?: (string | null)[]
  /** Invalidation markers and their versions when the response was produced. */
  markers: [string, number][]
}

/** Never stored nor replayed: hop-by-hop headers (RFC 9110 7.6.1), per-response ones, and our own. */
const UNSTORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'date',
  'set-cookie',
  'age',
  'content-length',
  'x-cache',
])

/**
 * The headers worth replaying: everything the handler set, minus hop-by-hop headers (and those
 * its `Connection` header names), `Date`, `Set-Cookie`, `Age`, `Content-Length` (recomputed) and
 * `X-Cache`, and minus the headers middleware before this one had already set to the same value
 * (`upstream`): that middleware runs again on a hit and sets them for that request.
 */
export function storableHeaders(
  headers: OutgoingHttpHeaders,
  upstream: ReadonlyMap<string, string | string[]>,
): [string, string | string[]][] {
  const connection = headers.connection
  const named = new Set(
    connection === undefined
      ? []
      : String(connection)
          .split(',')
          .map((name) => name.trim().toLowerCase()),
  )
  const out: [string, string | string[]][] = []
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || UNSTORED.has(name) || named.has(name)) continue
    const value = Array.isArray(raw) ? raw.map(String) : String(raw)
    const before = upstream.get(name)
    if (before !== undefined && sameValue(before, value)) continue
    out.push([name, value])
  }
  return out
}

/** The headers already on the response when the middleware runs (see {@link storableHeaders}). */
export function headerSnapshot(headers: OutgoingHttpHeaders): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>()
  for (const [name, raw] of Object.entries(headers)) {
    if (raw !== undefined) out.set(name, Array.isArray(raw) ? raw.map(String) : String(raw))
  }
  return out
}

function sameValue(a: string | string[], b: string | string[]): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** Encodes body bytes for {@link StoredResponse.body}. */
export function encodeBody(body: Buffer): Pick<StoredResponse, 'body' | 'encoding'> {
  return isUtf8(body)
    ? { body: body.toString('utf8'), encoding: 'utf8' }
    : { body: body.toString('base64'), encoding: 'base64' }
}

/** The body bytes of a stored response. */
export function decodeBody(entry: StoredResponse): Buffer {
  return Buffer.from(entry.body, entry.encoding === 'base64' ? 'base64' : 'utf8')
}

/** A weak ETag for a body, in the format of Express's default (`W/"<length hex>-<sha1 base64>"`). */
export function weakEtag(body: Buffer): string {
  const hash = createHash('sha1').update(body).digest('base64').slice(0, 27)
  return `W/"${body.length.toString(16)}-${hash}"`
}

/** True when `value` looks like a {@link StoredResponse} of a format this version reads. */
export function isStoredResponse(value: unknown): value is StoredResponse {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Partial<StoredResponse>
  return (
    entry.v === 1 &&
    typeof entry.status === 'number' &&
    Array.isArray(entry.headers) &&
    typeof entry.body === 'string' &&
    (entry.encoding === 'utf8' || entry.encoding === 'base64') &&
    typeof entry.createdAt === 'number' &&
    Array.isArray(entry.markers)
  )
}

/** The value of a stored header (first value of a repeated one), lower-cased name. */
export function storedHeader(entry: StoredResponse, name: string): string | undefined {
  for (const [n, value] of entry.headers) {
    if (n === name) return Array.isArray(value) ? value[0] : value
  }
  return undefined
}
