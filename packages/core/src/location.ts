import { RediskitError } from './errors.js'
import { inspectSymbol, MASK, redact, secretCandidates } from './redact.js'

/** What every parsed location has. */
interface LocationBase {
  /** Database number (SELECT). 0 unless the location or the defaults say otherwise. */
  readonly db: number
  /** ACL user name, if any. */
  readonly username: string | undefined
  /**
   * The password, if any. Not enumerable: it never shows in `util.inspect`, `JSON.stringify`,
   * object spread or `toString()`.
   */
  readonly password: string | undefined
  /** A credential-free identity of the endpoint: `host:port`, `[::1]:port` or the socket path. */
  readonly address: string
  /** The location as a URL with the password masked (`redis://user:***@host:6379/0`). */
  toString(): string
}

/** A TCP endpoint (`redis://`, `rediss://`, `host:port`, ...). */
export interface TcpLocation extends LocationBase {
  readonly kind: 'tcp'
  /** Host name or IP address; IPv6 without brackets. */
  readonly host: string
  readonly port: number
  /** `true` for `rediss://`: TLS with the server certificate verified. */
  readonly tls: boolean
}

/** A unix domain socket (`unix:///path.sock`, `/path.sock`). */
export interface UnixLocation extends LocationBase {
  readonly kind: 'unix'
  /** Absolute path of the socket. */
  readonly path: string
  readonly tls: false
}

/** One parsed endpoint. */
export type RedisLocation = TcpLocation | UnixLocation

/** Values a location falls back to when it does not carry them itself (the location's own win). */
export interface LocationDefaults {
  db?: number | undefined
  username?: string | undefined
  password?: string | undefined
  /**
   * TLS for locations without a scheme (`host:port`). `rediss://` always means TLS; an explicit
   * `redis://` together with `tls: true` is a configuration error.
   */
  tls?: boolean | undefined
}

/** The port Redis listens on unless told otherwise (also for `rediss://`). */
export const DEFAULT_PORT = 6379

const QUERY_KEYS = new Set(['db', 'password', 'username'])

/**
 * Parses a Redis location, a list of them, or a comma-separated string of them, into one typed
 * object per endpoint (the first is the primary when there are several).
 *
 * Forms: `redis://[user][:password@]host[:port][/db]`, `rediss://...` (TLS), `unix:///path.sock[?db=N]`,
 * `/path.sock`, `host:port`, `host:port/db`, `:password@host:port/db`, `[::1]:6379`. Query
 * parameters `db`, `password` and `username` are accepted on every form (`db` in the query wins
 * over the path, as in redis-py). Userinfo is percent-decoded; a `,` in a password must be
 * written `%2C`.
 *
 * @throws RediskitError `E_CONFIG` naming the bad part, with every password masked.
 */
export function parseLocation(
  input: string | readonly string[],
  defaults: LocationDefaults = {},
): RedisLocation[] {
  const raw = typeof input === 'string' ? input : input.join(',')
  const secrets = secretCandidates(raw)
  const shown = (text: string): string => redact(text, secrets)
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw new RediskitError(
      'E_CONFIG',
      `location must be a string or an array of strings, got ${typeof input}`,
    )
  }
  const parts =
    typeof input === 'string' ? input.split(',') : input.flatMap((item) => checkString(item).split(','))
  if (parts.every((part) => part.trim() === '')) {
    throw new RediskitError('E_CONFIG', 'location is empty: expected e.g. redis://127.0.0.1:6379/0')
  }
  return parts.map((part, index) => {
    const text = part.trim()
    if (text === '') {
      throw new RediskitError(
        'E_CONFIG',
        `location #${index + 1} in '${shown(raw)}' is empty (a stray or trailing comma?)`,
      )
    }
    return parseOne(text, defaults, shown)
  })
}

function checkString(item: unknown): string {
  if (typeof item !== 'string') {
    throw new RediskitError(
      'E_CONFIG',
      `location must be a string or an array of strings, got ${typeof item}`,
    )
  }
  return item
}

type Shown = (text: string) => string

function parseOne(text: string, defaults: LocationDefaults, shown: Shown): RedisLocation {
  const fail = (what: string): never => {
    throw new RediskitError('E_CONFIG', `${what} in location '${shown(text)}'`)
  }
  let scheme: 'redis' | 'rediss' | 'unix' | undefined
  let rest = text
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/)?/.exec(text)
  if (schemeMatch !== null && (schemeMatch[2] !== undefined || text[schemeMatch[0].length] === '/')) {
    const name = (schemeMatch[1] ?? '').toLowerCase()
    if (name !== 'redis' && name !== 'rediss' && name !== 'unix') {
      fail(`scheme '${shown(schemeMatch[1] ?? '')}://' is not supported (use redis://, rediss:// or unix://)`)
    }
    scheme = name as 'redis' | 'rediss' | 'unix'
    rest = text.slice(schemeMatch[0].length)
  }
  if (scheme === 'redis' && defaults.tls === true) {
    fail("'redis://' means plain TCP but TLS options were given: use rediss://")
  }

  // The query: after the first '?'. Passwords containing '?' must be percent-encoded.
  const questionMark = rest.indexOf('?')
  const query = questionMark === -1 ? '' : rest.slice(questionMark + 1)
  rest = questionMark === -1 ? rest : rest.slice(0, questionMark)
  const params = parseQuery(query, fail, shown)

  // Userinfo: up to the last '@' (an unencoded '@' or '/' in a password is tolerated).
  let username: string | undefined
  let password: string | undefined
  const at = rest.lastIndexOf('@')
  if (at !== -1) {
    const userinfo = rest.slice(0, at)
    rest = rest.slice(at + 1)
    const colon = userinfo.indexOf(':')
    const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon))
    username = user === '' ? undefined : user
    password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1))
    if (password === '') password = undefined
  }
  username ??= params.username ?? defaults.username
  password ??= params.password ?? defaults.password

  if (scheme === 'unix' || (scheme === undefined && rest.startsWith('/'))) {
    const path = decode(rest)
    if (!path.startsWith('/') || path.length < 2) fail('socket path is missing or not absolute')
    const db = params.db ?? defaults.db ?? 0
    return new UnixEndpoint(path, db, username, password)
  }

  // host[:port][/db]
  let hostPort = rest
  let dbText: string | undefined
  const slash = rest.indexOf('/')
  if (slash !== -1) {
    hostPort = rest.slice(0, slash)
    dbText = rest.slice(slash + 1)
    if (dbText.endsWith('/')) dbText = dbText.slice(0, -1)
  }
  let host: string
  let portText: string | undefined
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']')
    if (close === -1) fail(`IPv6 address '${shown(hostPort)}' has no closing ']'`)
    host = hostPort.slice(1, close)
    const after = hostPort.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) fail(`unexpected '${shown(after)}' after the IPv6 address`)
    portText = after === '' ? undefined : after.slice(1)
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(host) || !host.includes(':')) {
      fail(`IPv6 address '${shown(host)}' is not valid`)
    }
  } else {
    const colon = hostPort.lastIndexOf(':')
    host = colon === -1 ? hostPort : hostPort.slice(0, colon)
    portText = colon === -1 ? undefined : hostPort.slice(colon + 1)
    if (host.includes(':'))
      fail(`host '${shown(host)}' looks like an IPv6 address: write it in brackets, e.g. [::1]:6379`)
  }
  if (host === '') fail('host is missing')
  if (!host.includes(':') && !/^[A-Za-z0-9._~-]+$/.test(host))
    fail(`host '${shown(host)}' is not a valid host name`)
  let port = DEFAULT_PORT
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) fail(`port '${shown(portText)}' is not a number`)
    port = Number(portText)
    if (port < 1 || port > 65535) fail(`port ${port} is out of range (1-65535)`)
  }
  let db = params.db
  if (db === undefined && dbText !== undefined && dbText !== '') db = parseDb(dbText, fail, shown)
  db ??= defaults.db ?? 0
  const tls = scheme === 'rediss' || (scheme === undefined && defaults.tls === true)
  return new TcpEndpoint(host, port, db, username, password, tls)
}

function parseQuery(
  query: string,
  fail: (what: string) => never,
  shown: Shown,
): { db?: number; password?: string; username?: string } {
  const out: { db?: number; password?: string; username?: string } = {}
  if (query === '') return out
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq === -1 ? pair : pair.slice(0, eq))
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1))
    if (!QUERY_KEYS.has(key)) {
      fail(`query parameter '${shown(key)}' is not supported (supported: ${[...QUERY_KEYS].join(', ')})`)
    }
    if (key === 'db') out.db = parseDb(value, fail, shown)
    else if (value !== '') out[key as 'password' | 'username'] = value
  }
  return out
}

function parseDb(text: string, fail: (what: string) => never, shown: Shown): number {
  if (!/^\d+$/.test(text)) fail(`db '${shown(text)}' is not a non-negative integer`)
  const db = Number(text)
  if (!Number.isSafeInteger(db) || db > 2_147_483_647) fail(`db ${shown(text)} is out of range`)
  return db
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function userinfo(username: string | undefined, password: string | undefined): string {
  if (username === undefined && password === undefined) return ''
  return `${username === undefined ? '' : encodeURIComponent(username)}${password === undefined ? '' : `:${MASK}`}@`
}

class TcpEndpoint implements TcpLocation {
  readonly kind = 'tcp' as const
  readonly address: string
  readonly #password: string | undefined

  constructor(
    readonly host: string,
    readonly port: number,
    readonly db: number,
    readonly username: string | undefined,
    password: string | undefined,
    readonly tls: boolean,
  ) {
    this.#password = password
    this.address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  }

  get password(): string | undefined {
    return this.#password
  }

  toString(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${userinfo(this.username, this.#password)}${this.address}/${this.db}`
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      host: this.host,
      port: this.port,
      db: this.db,
      username: this.username,
      tls: this.tls,
    }
  }

  [inspectSymbol](): string {
    return `TcpLocation <${this.toString()}>`
  }
}

class UnixEndpoint implements UnixLocation {
  readonly kind = 'unix' as const
  readonly tls = false as const
  readonly #password: string | undefined

  constructor(
    readonly path: string,
    readonly db: number,
    readonly username: string | undefined,
    password: string | undefined,
  ) {
    this.#password = password
  }

  get address(): string {
    return this.path
  }

  get password(): string | undefined {
    return this.#password
  }

  toString(): string {
    const user = this.username === undefined ? '' : `&username=${encodeURIComponent(this.username)}`
    const pass = this.#password === undefined ? '' : `&password=${MASK}`
    return `unix://${this.path}?db=${this.db}${user}${pass}`
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, path: this.path, db: this.db, username: this.username }
  }

  [inspectSymbol](): string {
    return `UnixLocation <${this.toString()}>`
  }
}
