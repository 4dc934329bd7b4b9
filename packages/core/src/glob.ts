/**
 * Redis glob patterns (the syntax of SCAN MATCH and KEYS), for stores that match keys themselves
 * (MemoryStore) and for building patterns out of literal text (prefixes).
 *
 * Semantics follow Redis's `stringmatchlen`: `*` any run of characters (also none), `?` one
 * character, `[abc]` one of, `[^abc]` none of, `[a-z]` a range (reversed ranges are swapped),
 * `\x` the character x literally (inside brackets too). An unterminated `[` takes the rest of the
 * pattern as its set. Matching is per UTF-16 code unit where Redis matches bytes, which only differs
 * for `?` and sets on non-ASCII keys.
 */

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g

function regexEscape(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&')
}

/** The body of a RegExp (no anchors, no flags) matching what `pattern` matches. */
export function globToRegExpSource(pattern: string): string {
  let out = ''
  let literal = ''
  const n = pattern.length
  let i = 0
  while (i < n) {
    const c = pattern[i] as string
    if (c === '*') {
      out += regexEscape(literal)
      literal = ''
      while (pattern[i + 1] === '*') i++
      out += '[\\s\\S]*'
      i++
    } else if (c === '?') {
      out += `${regexEscape(literal)}[\\s\\S]`
      literal = ''
      i++
    } else if (c === '[') {
      out += regexEscape(literal)
      literal = ''
      i++
      let negate = false
      if (pattern[i] === '^') {
        negate = true
        i++
      }
      let set = ''
      while (i < n && pattern[i] !== ']') {
        let ch = pattern[i] as string
        if (ch === '\\' && i + 1 < n) {
          i++
          ch = pattern[i] as string
          set += regexEscape(ch)
          i++
        } else if (i + 2 < n && pattern[i + 1] === '-') {
          // Redis takes the character after '-' literally, even ']' or '\'.
          let start = ch
          let end = pattern[i + 2] as string
          if (start > end) [start, end] = [end, start]
          set += `${regexEscape(start)}-${regexEscape(end)}`
          i += 3
        } else {
          set += regexEscape(ch)
          i++
        }
      }
      i++ // the closing ']' (or past the end when unterminated)
      if (set === '') out += negate ? '[\\s\\S]' : '(?!)'
      else out += negate ? `[^${set}]` : `[${set}]`
    } else if (c === '\\' && i + 1 < n) {
      literal += pattern[i + 1] as string
      i += 2
    } else {
      literal += c
      i++
    }
  }
  return out + regexEscape(literal)
}

/** A RegExp that matches a whole key exactly when Redis's MATCH `pattern` would. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${globToRegExpSource(pattern)}$`)
}

const GLOB_SPECIAL = /[*?[\]\\]/g

/** Escapes `text` so that it matches itself literally inside a Redis glob. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&')
}

/** True when `pattern` contains glob syntax (so it can match more than one key). */
export function isGlobPattern(pattern: string): boolean {
  return /[*?[\\]/.test(pattern)
}
