import { RediskitError } from './errors.js'
import { escapeGlob, globToRegExpSource } from './glob.js'

/**
 * Builds the stored key from the user's key, the cache's prefix and the version (Django's
 * KEY_FUNCTION). Must be pure and return a string.
 */
export type KeyFunction = (key: string, prefix: string, version: number) => string

/** The default key function: `${prefix}:${version}:${key}` (Django's default). */
export function defaultKeyFunction(key: string, prefix: string, version: number): string {
  return `${prefix}:${version}:${key}`
}

/** A glob over stored keys, plus a RegExp that a scanned key must also match (when the glob is looser). */
export interface KeyPattern {
  /** The glob sent to the store (SCAN MATCH). */
  glob: string
  /** When set, keys the glob matched must also match this to belong to the cache. */
  filter: RegExp | undefined
}

type Part = { kind: 'literal'; text: string } | { kind: 'key' } | { kind: 'version' }

// Probes for a custom key function: a key and a version that never occur in real prefixes.
const KEY_MARK = '\u0000rediskit:key\u0000'
const VERSION_MARK = 8_675_309_001_234

/**
 * Turns user keys into stored keys and back, and user globs into store globs.
 *
 * The default key function is fully reversible. A custom `keyFunction` is probed once with a
 * marker key and version: if the marker key appears exactly once in its output, the function
 * "embeds the key" and patterns and reverse mapping work through that template (the version may
 * appear any number of times, or not at all). Otherwise (e.g. it hashes the key) building keys
 * works, but `pattern()`/`userKey()` throw `E_CONFIG`: such a cache cannot list or clear its keys.
 */
export class KeyBuilder {
  readonly prefix: string
  readonly version: number
  readonly #custom: KeyFunction | undefined
  readonly #parts: readonly Part[] | undefined
  // head/tail of stored keys for the current version, for the fast reverse mapping
  readonly #head: string
  readonly #tail: string

  constructor(prefix: string, version: number, keyFunction?: KeyFunction) {
    this.prefix = prefix
    this.version = version
    this.#custom = keyFunction === defaultKeyFunction ? undefined : keyFunction
    this.#parts =
      this.#custom === undefined
        ? [
            { kind: 'literal', text: `${prefix}:` },
            { kind: 'version' },
            { kind: 'literal', text: ':' },
            { kind: 'key' },
          ]
        : probe(this.#custom, prefix)
    const [head, tail] = this.#parts === undefined ? ['', ''] : this.#split(version)
    this.#head = head
    this.#tail = tail
  }

  /** True when stored keys can be listed and mapped back to user keys. */
  get reversible(): boolean {
    return this.#parts !== undefined
  }

  /** The stored key of `key` at `version` (default: the cache's version). */
  build(key: string, version: number = this.version): string {
    if (this.#custom === undefined) return `${this.prefix}:${version}:${key}`
    const full = this.#custom(key, this.prefix, version)
    if (typeof full !== 'string') {
      throw new RediskitError('E_CONFIG', `keyFunction returned ${typeof full}, not a string`, {
        details: { option: 'keyFunction' },
      })
    }
    return full
  }

  /**
   * The store glob for user keys matching `pattern` at `version`; with `'all'`, at every version
   * (then `filter` checks that the version part is an integer, so the looser glob never reaches
   * another application's keys, and captures the user key as group 1).
   */
  pattern(pattern: string, version: number | 'all' = this.version): KeyPattern {
    const parts = this.#require()
    let glob = ''
    let source = ''
    for (const part of parts) {
      if (part.kind === 'literal') {
        glob += escapeGlob(part.text)
        if (version === 'all') source += regexEscape(part.text)
      } else if (part.kind === 'key') {
        glob += pattern
        if (version === 'all') source += `(${globToRegExpSource(pattern)})`
      } else {
        glob += version === 'all' ? '*' : String(version)
        if (version === 'all') source += '-?\\d+'
      }
    }
    return { glob, filter: version === 'all' ? new RegExp(`^${source}$`) : undefined }
  }

  /**
   * The user key inside stored key `full` written at `version`, or `undefined` if `full` is not
   * shaped like one of this cache's keys at that version.
   */
  userKey(full: string, version: number = this.version): string | undefined {
    this.#require()
    const [head, tail] = version === this.version ? [this.#head, this.#tail] : this.#split(version)
    if (full.length < head.length + tail.length || !full.startsWith(head) || !full.endsWith(tail)) {
      return undefined
    }
    return full.slice(head.length, full.length - tail.length)
  }

  #split(version: number): [string, string] {
    let head = ''
    let tail = ''
    let seenKey = false
    for (const part of this.#parts ?? []) {
      const text = part.kind === 'literal' ? part.text : part.kind === 'version' ? String(version) : ''
      if (part.kind === 'key') seenKey = true
      else if (seenKey) tail += text
      else head += text
    }
    return [head, tail]
  }

  #require(): readonly Part[] {
    if (this.#parts === undefined) {
      throw new RediskitError(
        'E_CONFIG',
        'This cache cannot list, scan or clear its keys: its keyFunction does not embed the key verbatim (it must contain the key exactly once, e.g. prefix + "/" + version + "/" + key)',
        { details: { option: 'keyFunction' } },
      )
    }
    return this.#parts
  }
}

function probe(keyFunction: KeyFunction, prefix: string): Part[] | undefined {
  let out: unknown
  try {
    out = keyFunction(KEY_MARK, prefix, VERSION_MARK)
  } catch {
    return undefined
  }
  if (typeof out !== 'string') return undefined
  const pieces = out.split(KEY_MARK)
  if (pieces.length !== 2) return undefined
  const parts: Part[] = []
  const version = String(VERSION_MARK)
  pieces.forEach((piece, index) => {
    if (index === 1) parts.push({ kind: 'key' })
    piece.split(version).forEach((text, j) => {
      if (j > 0) parts.push({ kind: 'version' })
      if (text !== '') parts.push({ kind: 'literal', text })
    })
  })
  return parts
}

function regexEscape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}
