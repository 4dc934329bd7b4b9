/** How Keyv 6 classifies a method: a native `async` function, another function, or missing. */
export type KeyvMethodType = 'sync' | 'async' | 'none'

/** One method of a storage adapter, as Keyv 6's `detectKeyvStorage` describes it. */
export interface KeyvMethodInfo {
  exists: boolean
  methodType: KeyvMethodType
}

/** The storage methods Keyv 6 looks for. */
export const STORAGE_METHODS = [
  'get',
  'getMany',
  'has',
  'hasMany',
  'set',
  'setMany',
  'delete',
  'deleteMany',
  'clear',
  'disconnect',
  'iterator',
] as const

/** A storage method name Keyv 6 looks for. */
export type KeyvStorageMethodName = (typeof STORAGE_METHODS)[number]

/**
 * What the adapter declares to Keyv 6 (Keyv 6's `KeyvStorageCapability`). `expires: true` is the
 * v6 storage contract: `set`/`setMany` take an absolute expiry (epoch ms) and the adapter handles
 * namespaces itself, so Keyv 6 uses the adapter directly instead of wrapping it in its bridge.
 */
export interface KeyvRediskitCapabilities {
  compatible: true
  store: 'keyvStorage'
  methods: Record<KeyvStorageMethodName, KeyvMethodInfo>
  expires: true
}

/** Describes `adapter`'s methods the way Keyv 6's `keyvStorageCapability(adapter)` does. */
export function describeCapabilities(adapter: object): KeyvRediskitCapabilities {
  const methods = {} as Record<KeyvStorageMethodName, KeyvMethodInfo>
  for (const name of STORAGE_METHODS) {
    const fn: unknown = (adapter as Record<string, unknown>)[name]
    methods[name] =
      typeof fn === 'function'
        ? { exists: true, methodType: fn.constructor.name === 'AsyncFunction' ? 'async' : 'sync' }
        : { exists: false, methodType: 'none' }
  }
  return { compatible: true, store: 'keyvStorage', methods, expires: true }
}
