import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isRediskitError, parseLocation, type RediskitError, type RedisLocation } from '../src/index.js'

function one(input: string): RedisLocation {
  const [location, ...rest] = parseLocation(input)
  expect(rest).toEqual([])
  if (location === undefined) throw new Error('no location parsed')
  return location
}

function configError(input: string | readonly string[]): RediskitError {
  try {
    parseLocation(input)
  } catch (error) {
    expect(isRediskitError(error, 'E_CONFIG')).toBe(true)
    return error as RediskitError
  }
  throw new Error(`expected '${String(input)}' to be rejected`)
}

describe('parseLocation: forms', () => {
  it('redis://host:port/db', () => {
    const l = one('redis://127.0.0.1:6380/2')
    expect(l).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 6380, db: 2, tls: false })
    expect(l.username).toBeUndefined()
    expect(l.password).toBeUndefined()
    expect(l.address).toBe('127.0.0.1:6380')
  })

  it('redis://host with the default port and db 0', () => {
    expect(one('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0 })
    expect(one('redis://localhost/')).toMatchObject({ host: 'localhost', port: 6379, db: 0 })
  })

  it('redis://user:password@host:port/db', () => {
    const l = one('redis://app:s3cret@10.0.0.1:6379/1')
    expect(l).toMatchObject({ host: '10.0.0.1', port: 6379, db: 1, username: 'app' })
    expect(l.password).toBe('s3cret')
  })

  it('redis://:password@host (password only)', () => {
    const l = one('redis://:s3cret@cache.local:7000/3')
    expect(l).toMatchObject({ host: 'cache.local', port: 7000, db: 3 })
    expect(l.username).toBeUndefined()
    expect(l.password).toBe('s3cret')
  })

  it('redis://user@host (user name only)', () => {
    const l = one('redis://app@h:1')
    expect(l.username).toBe('app')
    expect(l.password).toBeUndefined()
  })

  it('percent-encoded user names and passwords', () => {
    const l = one('redis://us%40er:p%40ss%3Aw%2Crd%2F%3F@h:1/0')
    expect(l.username).toBe('us@er')
    expect(l.password).toBe('p@ss:w,rd/?')
  })

  it("tolerates an unencoded '@' in a password", () => {
    expect(one('redis://:p@ss@h:1').password).toBe('p@ss')
  })

  it('rediss:// is TLS', () => {
    expect(one('rediss://:pw@127.0.0.1:6390/1')).toMatchObject({ kind: 'tcp', tls: true, port: 6390, db: 1 })
    expect(one('REDISS://h')).toMatchObject({ tls: true, port: 6379 })
  })

  it('unix:///path.sock', () => {
    const l = one('unix:///tmp/redis.sock')
    expect(l).toMatchObject({ kind: 'unix', path: '/tmp/redis.sock', db: 0, tls: false })
    expect(l.address).toBe('/tmp/redis.sock')
  })

  it('unix:///path.sock?db=N&password=...', () => {
    const l = one('unix:///tmp/redis.sock?db=4&password=pw&username=app')
    expect(l).toMatchObject({ kind: 'unix', path: '/tmp/redis.sock', db: 4, username: 'app' })
    expect(l.password).toBe('pw')
  })

  it('unix://user:password@/path.sock', () => {
    const l = one('unix://app:pw@/var/run/redis.sock?db=1')
    expect(l).toMatchObject({ kind: 'unix', path: '/var/run/redis.sock', db: 1, username: 'app' })
    expect(l.password).toBe('pw')
  })

  it('a bare /path.sock', () => {
    expect(one('/run/redis/redis.sock')).toMatchObject({ kind: 'unix', path: '/run/redis/redis.sock', db: 0 })
    expect(one('/run/redis/redis.sock?db=5')).toMatchObject({ kind: 'unix', db: 5 })
  })

  it('host:port', () => {
    expect(one('127.0.0.1:6379')).toMatchObject({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
    })
  })

  it('host alone', () => {
    expect(one('redis-host')).toMatchObject({ host: 'redis-host', port: 6379 })
  })

  it('host:port/db', () => {
    expect(one('127.0.0.1:6379/7')).toMatchObject({ host: '127.0.0.1', port: 6379, db: 7 })
  })

  it(':password@host:port/db', () => {
    const l = one(':pw@127.0.0.1:6379/2')
    expect(l).toMatchObject({ host: '127.0.0.1', port: 6379, db: 2 })
    expect(l.password).toBe('pw')
  })

  it('user:password@host:port/db', () => {
    const l = one('app:pw@127.0.0.1:6379/2')
    expect(l.username).toBe('app')
    expect(l.password).toBe('pw')
  })

  it('IPv6 [::1]:port, with and without a scheme', () => {
    const bare = one('[::1]:6379')
    expect(bare).toMatchObject({ kind: 'tcp', host: '::1', port: 6379 })
    expect(bare.address).toBe('[::1]:6379')
    expect(one('redis://:pw@[fe80::1]:7000/1')).toMatchObject({ host: 'fe80::1', port: 7000, db: 1 })
    expect(one('[::1]')).toMatchObject({ host: '::1', port: 6379 })
  })

  it('db in the query wins over the path (as in redis-py)', () => {
    expect(one('redis://h:1/2?db=3').db).toBe(3)
  })

  it('a list of locations', () => {
    const ls = parseLocation(['redis://:pw@primary:6379/1', 'replica1:6380', '/tmp/r.sock'])
    expect(ls.map((l) => l.address)).toEqual(['primary:6379', 'replica1:6380', '/tmp/r.sock'])
  })

  it('a comma-separated string, spaces allowed', () => {
    const ls = parseLocation('redis://h1:6379/1, h2:6380 ,rediss://h3')
    expect(ls.map((l) => [l.address, l.tls])).toEqual([
      ['h1:6379', false],
      ['h2:6380', false],
      ['h3:6379', true],
    ])
  })

  it('defaults fill what a location leaves out; the location wins', () => {
    const [a, b] = parseLocation('h1:1,redis://u:own@h2:2/9', { db: 4, username: 'd', password: 'dpw' })
    expect(a).toMatchObject({ db: 4, username: 'd' })
    expect(a?.password).toBe('dpw')
    expect(b).toMatchObject({ db: 9, username: 'u' })
    expect(b?.password).toBe('own')
  })

  it('defaults.tls turns TLS on for scheme-less locations', () => {
    expect(parseLocation('h:1', { tls: true })[0]?.tls).toBe(true)
    expect(parseLocation('/tmp/s.sock', { tls: true })[0]?.tls).toBe(false)
  })

  it('toString masks the password', () => {
    expect(String(one('redis://app:pw@h:1/2'))).toBe('redis://app:***@h:1/2')
    expect(String(one('rediss://:pw@[::1]:1'))).toBe('rediss://:***@[::1]:1/0')
    expect(String(one('unix:///s.sock?password=pw&db=1'))).toBe('unix:///s.sock?db=1&password=***')
  })
})

describe('parseLocation: bad locations', () => {
  const cases: [string, string | readonly string[], RegExp][] = [
    ['empty string', '', /location is empty/],
    ['blank string', '   ', /location is empty/],
    ['empty list', [], /location is empty/],
    ['unsupported scheme', 'http://h:1', /scheme 'http:\/\/' is not supported/],
    [
      'port not a number',
      'redis://:pw@host:abc',
      /port 'abc' is not a number in location 'redis:\/\/:\*\*\*@host:abc'/,
    ],
    ['port 0', 'redis://h:0', /port 0 is out of range/],
    ['port too large', 'h:65536', /port 65536 is out of range/],
    ['negative port', 'h:-1', /port '-1' is not a number/],
    ['db not a number', 'redis://h:1/x', /db 'x' is not a non-negative integer/],
    ['negative db', 'h:1/-2', /db '-2' is not a non-negative integer/],
    ['db in the query not a number', 'unix:///s.sock?db=one', /db 'one'/],
    ['missing host', 'redis://:pw@:6379', /host is missing/],
    ['missing host, nothing after the scheme', 'redis://', /host is missing/],
    ['trailing comma', 'h1:1,', /location #2 .* is empty/],
    ['doubled comma', 'h1:1,,h2:2', /location #2 .* is empty/],
    ['bad host characters', 'redis://ho st:1', /host 'ho st' is not a valid host name/],
    ['IPv6 without brackets', 'redis://::1:6379', /write it in brackets/],
    ['IPv6 without a closing bracket', '[::1:6379', /no closing '\]'/],
    ['garbage after IPv6', '[::1]x', /unexpected 'x'/],
    ['unknown query parameter', 'redis://h?timeout=1', /query parameter 'timeout' is not supported/],
    ['unix without a path', 'unix://', /socket path is missing/],
    ['relative unix path', 'unix://relative.sock', /socket path is missing or not absolute/],
  ]
  for (const [name, input, message] of cases) {
    it(name, () => {
      expect(configError(input).message).toMatch(message)
    })
  }

  it('redis:// with TLS options is a configuration error', () => {
    expect(() => parseLocation('redis://h:1', { tls: true })).toThrow(/use rediss:\/\//)
  })

  it('a non-string location', () => {
    expect(configError([42 as unknown as string]).message).toMatch(/must be a string/)
  })
})

describe('parseLocation: the password never shows', () => {
  const password = 'Tr0ub4dor&3'
  const encoded = encodeURIComponent(password)
  const leaks = (text: string): boolean => text.includes(password) || text.includes(encoded)

  it('not in util.inspect, JSON, spread or toString of a parsed location', () => {
    for (const input of [
      `redis://app:${encoded}@h:1/0`,
      `rediss://:${encoded}@h:1`,
      `unix:///s.sock?password=${encoded}`,
      `:${encoded}@h:1/2`,
    ]) {
      const location = one(input)
      expect(location.password).toBe(password)
      for (const text of [
        inspect(location),
        inspect(location, { showHidden: true, getters: true, depth: 10 }),
        inspect([location], { showHidden: true }),
        JSON.stringify(location),
        JSON.stringify({ ...location }),
        String(location),
        `${location}`,
      ]) {
        expect(leaks(text), text).toBe(false)
      }
      expect(Object.keys(location)).not.toContain('password')
    }
  })

  it('not in the message, stack or inspect of a location error', () => {
    const bad = [
      `redis://:${encoded}@host:abc`,
      `redis://app:${encoded}@host/x`,
      `redis://:${encoded}@`,
      `http://:${encoded}@h`,
      `redis://:${encoded}@h?nope=1`,
      `h:1,redis://:${encoded}@h:99999`,
      // an unencoded ',' in a password splits the list: no fragment may show either
      'redis://user:pa,ss@host:abc',
      'redis://user:pass,word:extra@h',
      'redis://:ab%2',
      `unix:///s.sock?password=${encoded}&db=x`,
    ]
    for (const input of bad) {
      const error = configError(input)
      for (const text of [
        error.message,
        String(error.stack),
        inspect(error),
        inspect(error, { showHidden: true }),
      ]) {
        expect(leaks(text), text).toBe(false)
        expect(text).not.toMatch(/pa,ss|\bpa\b|\bss\b|pass,word|word:extra|ab%2/)
      }
    }
  })
})
