export type {
  KeyvMethodInfo,
  KeyvMethodType,
  KeyvRediskitCapabilities,
  KeyvStorageMethodName,
} from './capabilities.js'
export type { CreateKeyvExtras, CreateKeyvOptions } from './create-keyv.js'
export { createKeyv } from './create-keyv.js'
export type {
  KeyvAdapterOptions,
  KeyvMajor,
  KeyvRediskitEntry,
  KeyvRediskitOptions,
  KeyvRediskitOpts,
  KeyvRediskitSource,
} from './keyv-rediskit.js'
export { KeyvRediskit } from './keyv-rediskit.js'
export type { KeyvSerializerOptions } from './keyv-serializer.js'
export { keyvSerializer } from './keyv-serializer.js'
