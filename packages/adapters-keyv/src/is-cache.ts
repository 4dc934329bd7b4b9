import { Cache } from '@rediskit/core'

const CACHE_METHODS = [
  'get',
  'getMany',
  'set',
  'setMany',
  'delete',
  'deleteMany',
  'has',
  'scan',
  'deletePattern',
  'clear',
  'close',
] as const

/** True for a rediskit {@link Cache}, also one from another copy of @rediskit/core. */
export function isCache(value: unknown): value is Cache {
  if (value instanceof Cache) return true
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return CACHE_METHODS.every((name) => typeof record[name] === 'function')
}
