import type { IncomingHttpHeaders } from 'node:http'
import { headerValue } from './request-key.js'

/**
 * RFC 9110 13.1 for a cached 200: `If-None-Match` (weak comparison, `*` matches any) decides when
 * present; otherwise `If-Modified-Since` against `Last-Modified` (or, without one, the time the
 * response was produced).
 */
export function isNotModified(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  lastModified: string | undefined,
  createdAt: number,
): boolean {
  const ifNoneMatch = headerValue(headers, 'if-none-match')
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true
    if (etag === undefined) return false
    const ours = opaque(etag)
    return splitTags(ifNoneMatch).some((tag) => opaque(tag) === ours)
  }
  const ifModifiedSince = headerValue(headers, 'if-modified-since')
  if (ifModifiedSince === undefined) return false
  const since = Date.parse(ifModifiedSince)
  if (Number.isNaN(since)) return false
  const modified = lastModified === undefined ? Number.NaN : Date.parse(lastModified)
  const at = Number.isNaN(modified) ? createdAt : modified
  return Math.floor(at / 1000) * 1000 <= since
}

/** Entity tags in an `If-None-Match` list (a quoted tag may contain commas). */
function splitTags(list: string): string[] {
  return list.match(/(?:W\/)?"[^"]*"/g) ?? []
}

/** The opaque part of an entity tag: weak comparison ignores the `W/` prefix. */
function opaque(tag: string): string {
  const trimmed = tag.trim()
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed
}
