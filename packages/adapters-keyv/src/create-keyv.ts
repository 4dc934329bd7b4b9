import { type Cache, RediskitError } from '@rediskit/core'
import { Keyv, type KeyvOptions } from 'keyv'
import { isCache } from './is-cache.js'
import {
  type KeyvAdapterOptions,
  type KeyvMajor,
  KeyvRediskit,
  type KeyvRediskitOptions,
  type KeyvRediskitSource,
} from './keyv-rediskit.js'

/** What `createKeyv` adds to the adapter's options. */
export interface CreateKeyvExtras {
  /**
   * Who encodes values. `'keyv'`: Keyv serializes `{ value, expires }` to a string and the adapter
   * stores that string byte for byte (the default, unless you chose a `serializer`). `'cache'`:
   * Keyv's serialization is turned off and the cache's serializer encodes `{ value, expires }` once
   * (the default when you pass a `serializer`, e.g. msgpack from @rediskit/serializers).
   */
  encoding?: 'keyv' | 'cache' | undefined
  /** More options for the Keyv instance (`stats`, `throwOnErrors`, `ttl`...), except `store` and `namespace`. */
  keyvOptions?: Omit<KeyvOptions, 'store' | 'namespace'> | undefined
}

/** Options of `createKeyv` with a location or `createCache` options. */
export interface CreateKeyvOptions extends KeyvRediskitOptions, CreateKeyvExtras {}

/** The major of the `keyv` this package resolves: keyv 6 added `setRaw()`. */
const major: KeyvMajor =
  typeof (Keyv.prototype as unknown as Record<string, unknown>).setRaw === 'function' ? 6 : 5

/**
 * A ready Keyv instance over a {@link KeyvRediskit} adapter, like `@keyv/redis`'s `createKeyv`,
 * for the `keyv` major installed next to this package (5 or 6). `namespace` becomes the Keyv
 * instance's namespace (keyv 5 defaults it to `'keyv'`, keyv 6 to none). `keyv.disconnect()`
 * closes the cache if the adapter created it, never a cache you passed in.
 *
 * ```ts
 * const keyv = createKeyv('redis://127.0.0.1:6379', { namespace: 'sessions', commandTimeout: 200 })
 * const keyv = createKeyv(cache)   // an existing rediskit cache (any topology)
 * ```
 */
export function createKeyv(
  location: string | readonly string[],
  options?: Omit<CreateKeyvOptions, 'location'>,
): Keyv
export function createKeyv(cache: Cache, options?: KeyvAdapterOptions & CreateKeyvExtras): Keyv
export function createKeyv(options?: CreateKeyvOptions): Keyv
export function createKeyv(source?: KeyvRediskitSource, options?: CreateKeyvOptions): Keyv {
  const all: CreateKeyvOptions =
    typeof source === 'object' && source !== null && !Array.isArray(source) && !isCache(source)
      ? { ...(source as CreateKeyvOptions), ...options }
      : { ...options }
  const { encoding, keyvOptions, ...adapterOptions } = all
  if (
    adapterOptions.keyvVersion !== undefined &&
    adapterOptions.keyvVersion !== 'auto' &&
    adapterOptions.keyvVersion !== major
  ) {
    throw new RediskitError(
      'E_CONFIG',
      `createKeyv: keyvVersion ${adapterOptions.keyvVersion} was asked for, but the installed keyv is ${major}`,
      { details: { option: 'keyvVersion' } },
    )
  }
  if (encoding !== undefined && encoding !== 'keyv' && encoding !== 'cache') {
    throw new RediskitError('E_CONFIG', "createKeyv: invalid option encoding: must be 'keyv' or 'cache'", {
      details: { option: 'encoding' },
    })
  }
  const pinned = { ...adapterOptions, keyvVersion: major }
  const adapter =
    typeof source === 'string' || Array.isArray(source)
      ? new KeyvRediskit(source as string | readonly string[], pinned)
      : isCache(source)
        ? new KeyvRediskit(source, pinned)
        : new KeyvRediskit(pinned)
  const keyv: Record<string, unknown> = { ...keyvOptions }
  if (adapterOptions.namespace !== undefined) keyv.namespace = adapterOptions.namespace
  if ((encoding ?? (adapterOptions.serializer !== undefined ? 'cache' : 'keyv')) === 'cache') {
    if (major === 6) keyv.serialization = false
    else {
      keyv.serialize = undefined
      keyv.deserialize = undefined
    }
  }
  return new Keyv(adapter, keyv as Omit<KeyvOptions, 'store'>)
}
