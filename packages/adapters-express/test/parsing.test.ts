import { describe, expect, it } from 'vitest'
import { deltaSeconds, parseCacheControl } from '../src/cache-control.js'
import { isNotModified } from '../src/conditional.js'
import { storableHeaders } from '../src/entry.js'
import { normalizeTarget, varyPart } from '../src/request-key.js'

describe('parseCacheControl', () => {
  it('reads bare and valued directives, case-insensitively, across lines, with quoted commas', () => {
    const directives = parseCacheControl([
      'Public, MAX-AGE=60',
      'private="set-cookie, x-user", s-maxage="30"',
    ])
    expect([...directives]).toEqual([
      ['public', true],
      ['max-age', '60'],
      ['private', 'set-cookie, x-user'],
      ['s-maxage', '30'],
    ])
    expect(deltaSeconds(directives, 'max-age')).toBe(60)
    expect(deltaSeconds(directives, 's-maxage')).toBe(30)
    expect(deltaSeconds(parseCacheControl('max-age=-1'), 'max-age')).toBeUndefined()
    expect(deltaSeconds(parseCacheControl('max-age=1.5'), 'max-age')).toBeUndefined()
    expect([...parseCacheControl(undefined)]).toEqual([])
    expect([...parseCacheControl(' , no-store,,')]).toEqual([['no-store', true]])
  })
})

describe('normalizeTarget', () => {
  it('sorts query parameters by name, stable for repeated names, keeping their encoding', () => {
    expect(normalizeTarget('/p?b=2&a=1')).toEqual({ path: '/p', query: 'a=1&b=2' })
    expect(normalizeTarget('/p?a=2&b=1&a=1')).toEqual({ path: '/p', query: 'a=2&a=1&b=1' })
    expect(normalizeTarget('/p?x=%20&&flag')).toEqual({ path: '/p', query: 'flag&x=%20' })
    expect(normalizeTarget('/p?')).toEqual({ path: '/p', query: '' })
    expect(normalizeTarget('https://example.com/p?b&a#frag')).toEqual({ path: '/p', query: 'a&b' })
    expect(normalizeTarget('http://example.com')).toEqual({ path: '/', query: '' })
  })

  it('keys the configured vary headers, telling absent from empty', () => {
    expect(varyPart({ 'accept-language': 'fr, en;q=0.5' }, ['accept-language', 'x-tenant'])).toBe(
      '|accept-language=fr%2C%20en%3Bq%3D0.5|x-tenant',
    )
    expect(varyPart({ 'x-tenant': '' }, ['x-tenant'])).toBe('|x-tenant=')
  })
})

describe('isNotModified', () => {
  const created = Date.parse('2024-05-01T10:00:00Z')
  it('compares entity tags weakly and honours *', () => {
    expect(isNotModified({ 'if-none-match': '"a"' }, 'W/"a"', undefined, created)).toBe(true)
    expect(isNotModified({ 'if-none-match': 'W/"a"' }, '"a"', undefined, created)).toBe(true)
    expect(isNotModified({ 'if-none-match': '"x", "a,b"' }, '"a,b"', undefined, created)).toBe(true)
    expect(isNotModified({ 'if-none-match': '"b"' }, '"a"', undefined, created)).toBe(false)
    expect(isNotModified({ 'if-none-match': '*' }, undefined, undefined, created)).toBe(true)
  })

  it('uses If-Modified-Since only without If-None-Match, against Last-Modified or the creation time', () => {
    const lastModified = 'Wed, 01 May 2024 09:00:00 GMT'
    expect(isNotModified({ 'if-modified-since': lastModified }, undefined, lastModified, created)).toBe(true)
    expect(
      isNotModified(
        { 'if-modified-since': 'Wed, 01 May 2024 08:59:59 GMT' },
        undefined,
        lastModified,
        created,
      ),
    ).toBe(false)
    expect(
      isNotModified({ 'if-modified-since': 'Wed, 01 May 2024 10:00:00 GMT' }, undefined, undefined, created),
    ).toBe(true)
    expect(isNotModified({ 'if-modified-since': 'not a date' }, undefined, lastModified, created)).toBe(false)
    expect(
      isNotModified(
        { 'if-none-match': '"b"', 'if-modified-since': lastModified },
        '"a"',
        lastModified,
        created,
      ),
    ).toBe(false)
  })
})

describe('storableHeaders', () => {
  it('drops hop-by-hop headers, those named by Connection, Date, Set-Cookie, and unchanged upstream ones', () => {
    const upstream = new Map<string, string | string[]>([
      ['x-powered-by', 'Express'],
      ['cache-control', 'no-cache'],
    ])
    const stored = storableHeaders(
      {
        'x-powered-by': 'Express',
        'cache-control': 'public, max-age=60',
        connection: 'keep-alive, x-hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        date: 'x',
        'set-cookie': ['a=1'],
        'content-length': '3',
        'content-type': 'text/plain',
        link: ['</a>; rel=preload', '</b>; rel=preload'],
        'x-count': 3,
      },
      upstream,
    )
    expect(stored).toEqual([
      ['cache-control', 'public, max-age=60'],
      ['content-type', 'text/plain'],
      ['link', ['</a>; rel=preload', '</b>; rel=preload']],
      ['x-count', '3'],
    ])
  })
})
