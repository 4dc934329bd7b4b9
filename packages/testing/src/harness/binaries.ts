import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { HarnessError } from './errors.js'

/** The external programs the harness runs. */
export type HarnessBinary = 'redis-server' | 'redis-sentinel' | 'redis-cli' | 'openssl'

const INSTALL_HINT =
  'Install them: Debian/Ubuntu `sudo apt-get install redis-server redis-tools redis-sentinel openssl`; ' +
  'macOS `brew install redis openssl` (Redis 6.2 or newer, with redis-cli and redis-sentinel on PATH).'

/** Absolute path of `name` on PATH, or `undefined`. Read at every call, so PATH changes count. */
export function whichBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Resolves every binary in `names` to an absolute path, or throws one error naming all that are
 * missing and the packages that provide them.
 */
export function requireBinaries(names: readonly HarnessBinary[]): Partial<Record<HarnessBinary, string>> {
  const found: Partial<Record<HarnessBinary, string>> = {}
  const missing: string[] = []
  for (const name of names) {
    const path = whichBinary(name)
    if (path === undefined) missing.push(name)
    else found[name] = path
  }
  if (missing.length > 0) {
    throw new HarnessError(
      'E_HARNESS_MISSING_BINARY',
      `startRedis() needs ${missing.join(', ')} on PATH, but ${missing.length === 1 ? 'it is' : 'they are'} missing. ${INSTALL_HINT}`,
    )
  }
  return found
}
