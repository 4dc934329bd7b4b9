/**
 * `Cache-Control` directives, lower-cased: `true` for a bare directive (`no-store`), its value for
 * `name=value` (quotes removed). Several header lines (or an array) are merged. Commas inside a
 * quoted value (`private="set-cookie, x-user"`) do not split it.
 */
export function parseCacheControl(
  header: string | readonly string[] | number | undefined,
): Map<string, string | true> {
  const directives = new Map<string, string | true>()
  if (header === undefined) return directives
  const text = Array.isArray(header) ? header.join(',') : String(header)
  let i = 0
  while (i < text.length) {
    const name = /^[\s,]*([^=,\s]+)\s*/.exec(text.slice(i))
    if (name === null) break
    i += name[0].length
    const directive = (name[1] as string).toLowerCase()
    if (text[i] !== '=') {
      if (!directives.has(directive)) directives.set(directive, true)
      continue
    }
    i++
    let value: string
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1)
      const end = close === -1 ? text.length : close
      value = text.slice(i + 1, end)
      i = end + 1
    } else {
      const end = text.indexOf(',', i)
      value = text.slice(i, end === -1 ? text.length : end).trim()
      i = end === -1 ? text.length : end
    }
    if (!directives.has(directive)) directives.set(directive, value)
  }
  return directives
}

/** The number of seconds in a delta-seconds directive (`max-age=60`), or `undefined` when absent or malformed. */
export function deltaSeconds(
  directives: ReadonlyMap<string, string | true>,
  name: string,
): number | undefined {
  const value = directives.get(name)
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Number(value)
}
