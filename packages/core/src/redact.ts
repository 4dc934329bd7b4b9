/**
 * Credential scrubbing: nothing rediskit prints (error messages, `util.inspect`, logs) may contain a
 * password. Two tools: {@link secretCandidates} finds every piece of a raw location string that could
 * be a password, and {@link redact} replaces them in any text that echoes user input.
 */

/** What a secret is replaced with. */
export const MASK = '***'

/** The symbol Node's `util.inspect` looks up, without importing node:util. */
export const inspectSymbol: unique symbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * Every substring of a raw location input that may be (part of) a password: the text after the
 * first ':' of each userinfo (`scheme://user:password@host`), the `password=` query values, and the
 * pieces of those split at ',' and ':' (an unencoded ',' inside a password splits a location list,
 * so a fragment of a password can end up anywhere in the list). Both raw and percent-decoded forms.
 */
export function secretCandidates(input: string): string[] {
  const found = new Set<string>()
  const add = (value: string): void => {
    if (value === '') return
    for (const form of [value, safeDecode(value)]) {
      found.add(form)
      for (const piece of form.split(/[,:]/)) if (piece !== '') found.add(piece)
    }
  }
  for (let at = input.indexOf('@'); at !== -1; at = input.indexOf('@', at + 1)) {
    const slashes = input.lastIndexOf('//', at)
    const start = slashes === -1 ? 0 : slashes + 2
    const userinfo = input.slice(start, at)
    const colon = userinfo.indexOf(':')
    // Without a ':' the userinfo of a well-formed location is a user name; a list split inside a
    // password ("redis://:a,b@h") leaves "b" there, so treat the whole userinfo after the last ','
    // as a candidate as well.
    if (colon !== -1) add(userinfo.slice(colon + 1))
    const comma = userinfo.lastIndexOf(',')
    if (comma !== -1) add(userinfo.slice(comma + 1))
  }
  for (const match of input.matchAll(/[?&]password=([^&,]*)/gi)) add(match[1] ?? '')
  // "redis://:secret" with the '@host' missing: an empty user name followed by ':' is a password.
  for (const match of input.matchAll(/(?:^|,|\/\/)\s*:([^@,/?]*)(?=$|[,/?])/g)) add(match[1] ?? '')
  // Longest first, so a long secret is masked whole before its fragments.
  return [...found].sort((a, b) => b.length - a.length)
}

/** Replaces every occurrence of each secret (and its percent-encoded form) in `text` with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue
    out = out.split(secret).join(MASK)
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) out = out.split(encoded).join(MASK)
  }
  return out
}

/**
 * A location string with its credentials masked: `redis://user:pw@host` -> `redis://user:***@host`,
 * `?password=pw` -> `?password=***`. Used when an error has to name the location it is about.
 */
export function maskLocation(input: string): string {
  return redact(input, secretCandidates(input))
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
