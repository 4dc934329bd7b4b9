import { RediskitError } from './errors.js'
import type { Ttl } from './types.js'

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const TTL_TEXT = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * Parses a TTL into milliseconds.
 *
 * - a number: milliseconds (fractions round up to the next whole millisecond);
 * - a string `'<n><unit>'` with unit `ms` | `s` | `m` | `h` | `d` (`'500ms'`, `'30s'`, `'1.5h'`, `'2d'`);
 * - `null`: never expires (returned as `null`).
 *
 * The result may be `0` or negative: by the cache's TTL semantics that removes the key and stores
 * nothing. Anything else (NaN, Infinity, `'10 minutes'`, `true`) throws `RediskitError` `E_CONFIG`
 * naming `name`.
 */
export function parseTtl(ttl: Ttl, name = 'ttl'): number | null {
  if (typeof ttl === 'number') {
    if (Number.isFinite(ttl)) return ttl > 0 ? Math.ceil(ttl) : Math.trunc(ttl)
  } else if (ttl === null) {
    return null
  } else if (typeof ttl === 'string') {
    const match = TTL_TEXT.exec(ttl.trim())
    if (match !== null) {
      const ms = Number(match[1]) * (UNITS[match[2] as string] as number)
      if (Number.isFinite(ms)) return ms > 0 ? Math.ceil(ms) : Math.trunc(ms)
    }
  }
  throw new RediskitError(
    'E_CONFIG',
    `Invalid ${name}: ${describe(ttl)}. Use milliseconds (a finite number), a string like '500ms', '30s', '5m', '1h', '2d', or null for no expiry.`,
    { details: { option: name } },
  )
}

/**
 * Resolves a per-call TTL against the cache's default: `undefined` -> `defaultTtl`, otherwise
 * {@link parseTtl}. Numbers take a fast path (no allocation).
 */
export function resolveTtl(ttl: Ttl | undefined, defaultTtl: number | null, name = 'ttl'): number | null {
  if (ttl === undefined) return defaultTtl
  if (typeof ttl === 'number' && ttl > 0 && Number.isInteger(ttl) && ttl <= Number.MAX_SAFE_INTEGER)
    return ttl
  return parseTtl(ttl, name)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object' && value !== null) return 'an object'
  return String(value)
}
