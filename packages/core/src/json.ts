import { RediskitError } from './errors.js'
import type { Serializer } from './types.js'

/**
 * The built-in serializer: plain `JSON.stringify` / `JSON.parse`, nothing added, so it stays fast.
 *
 * Values JSON cannot represent fail with `RediskitError` `E_ENCODE` instead of being stored wrong:
 * a top-level `undefined`, function, symbol, BigInt (also nested), `NaN`/`Infinity`, circular
 * structures, and objects whose `toJSON` returns `undefined`. Inside objects and arrays JSON's own
 * rules apply (undefined/function members dropped, `NaN` -> `null`, `Date` -> ISO string). For
 * Date, Map, Set, Buffer and BigInt round trips use `json()` from `@rediskit/serializers` or msgpack.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  serialize(value: unknown): string {
    const type = typeof value
    if (type === 'number' && !Number.isFinite(value as number)) throw unsupported(String(value))
    if (type === 'undefined' || type === 'function' || type === 'symbol' || type === 'bigint') {
      throw unsupported(type)
    }
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new RediskitError(
        'E_ENCODE',
        `The json serializer cannot encode this value: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    if (text === undefined) throw unsupported('a value whose toJSON() returns undefined')
    return text
  },
  deserialize(data: Buffer): unknown {
    return JSON.parse(data.toString('utf8'))
  },
}

function unsupported(what: string): RediskitError {
  return new RediskitError(
    'E_ENCODE',
    `The json serializer cannot store ${what} faithfully; store null instead, or use a richer serializer (@rediskit/serializers)`,
  )
}
