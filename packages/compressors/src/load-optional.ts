import { createRequire } from 'node:module'
import { configError, messageOf } from './errors.js'

const require = createRequire(import.meta.url)
const cache = new Map<string, unknown>()

/**
 * Loads a CommonJS package (a native binding) the first time a compressor needs it, so nobody
 * pays for a binding they do not use. A package that cannot be loaded is an `E_CONFIG` error
 * naming the package and what to do.
 */
export function loadOptional<T>(compressor: string, pkg: string, hint: string): T {
  const known = cache.get(pkg)
  if (known !== undefined) return known as T
  let loaded: T
  try {
    loaded = require(pkg) as T
  } catch (error) {
    throw configError(
      compressor,
      `${compressor}() needs the package ${pkg}, which could not be loaded (${messageOf(error)}). ${hint}`,
      error,
    )
  }
  cache.set(pkg, loaded)
  return loaded
}
