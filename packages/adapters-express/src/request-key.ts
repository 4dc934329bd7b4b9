import type { IncomingHttpHeaders } from 'node:http'

/** Where a request's response is cached, and what invalidates it. */
export interface RequestKey {
  /** The request path, as requested (no query). */
  path: string
  /** What `invalidate(target)` matches: the custom key, or `path?sortedQuery` (`path` without a query). */
  resource: string
  /** The cache key of the entry (before Vary variants): `GET <resource>` or the custom key, plus the `vary` headers. */
  key: string
}

/**
 * Splits a request target (`/p?b=2&a=1`, or an absolute URL) into its path and its query sorted by
 * parameter name (stable: repeated names keep their order, `a=2&a=1` stays distinct from
 * `a=1&a=2`). Encoding is kept as sent; empty parameters (`&&`) are dropped.
 */
export function normalizeTarget(target: string): { path: string; query: string } {
  let rest = target
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest)
  if (scheme !== null) rest = rest.slice(scheme[0].length) || '/'
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const mark = rest.indexOf('?')
  if (mark === -1) return { path: rest, query: '' }
  const params = rest
    .slice(mark + 1)
    .split('&')
    .filter((part) => part !== '')
  const named = params.map((part, index) => {
    const eq = part.indexOf('=')
    return { name: eq === -1 ? part : part.slice(0, eq), part, index }
  })
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index))
  return { path: rest.slice(0, mark), query: named.map((p) => p.part).join('&') }
}

/** `path?query`, or `path` when there is no query. */
export function resourceOf(path: string, query: string): string {
  return query === '' ? path : `${path}?${query}`
}

/** The value of a request header as one string (`undefined` when absent); repeated headers are joined with `, `. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The key part of the configured `vary` request headers: `|name=value` per header (value
 * URI-encoded), `|name` for an absent one.
 */
export function varyPart(headers: IncomingHttpHeaders, names: readonly string[]): string {
  let out = ''
  for (const name of names) {
    const value = headerValue(headers, name)
    out += value === undefined ? `|${name}` : `|${name}=${encodeURIComponent(value)}`
  }
  return out
}

/**
 * The key of a request: `GET` + path + sorted query (or `custom`, the result of the `key` option)
 * + the configured `vary` request headers.
 */
export function requestKey(
  url: string,
  headers: IncomingHttpHeaders,
  vary: readonly string[],
  custom: string | undefined,
): RequestKey {
  const { path, query } = normalizeTarget(url)
  const resource = custom ?? resourceOf(path, query)
  const base = custom ?? `GET ${resource}`
  return { path, resource, key: base + varyPart(headers, vary) }
}
