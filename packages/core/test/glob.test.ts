import { describe, expect, it } from 'vitest'
import { escapeGlob, globToRegExp, isGlobPattern } from '../src/glob.js'

function matches(pattern: string, key: string): boolean {
  return globToRegExp(pattern).test(key)
}

describe('globToRegExp (Redis MATCH semantics)', () => {
  it.each([
    // pattern, key, match
    ['*', '', true],
    ['*', 'anything:at:all', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'hllo', true],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['h[b-a]llo', 'hallo', true], // reversed ranges are swapped, as in Redis
    ['user:*', 'user:1', true],
    ['user:*', 'users:1', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false], // regex metacharacters are literal
    ['a+b(c)', 'a+b(c)', true],
    ['^a$', '^a$', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['[\\]]', ']', true],
    ['[\\-]', '-', true],
    ['[a\\-z]', 'b', false],
    ['[]x', 'x', false], // an empty set matches nothing
    ['[^]', 'q', true], // a negated empty set matches any one character
    ['[abc', 'b', true], // unterminated: the rest of the pattern is the set
    ['[abc', 'd', false],
    ['ab\\', 'ab\\', true], // a trailing backslash is literal
    ['**x', 'x', true],
    ['*:*', 'a:b', true],
    ['*:*', 'ab', false],
    ['line\nbreak*', 'line\nbreak!', true],
    ['?', '\n', true],
  ])('%j vs %j -> %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected)
  })

  it('anchors the whole key', () => {
    expect(matches('abc', 'xabcx')).toBe(false)
    expect(matches('a*', 'ba')).toBe(false)
  })
})

describe('escapeGlob', () => {
  it.each(['plain', 'a*b', 'a?b', '[x]', 'back\\slash', 'all*?[]\\', ''])(
    '%j matches itself only',
    (text) => {
      const pattern = escapeGlob(text)
      expect(matches(pattern, text)).toBe(true)
      expect(matches(pattern, `${text}x`)).toBe(false)
      expect(matches(`${pattern}*`, `${text}suffix`)).toBe(true)
    },
  )

  it('detects glob syntax', () => {
    expect(isGlobPattern('a:b')).toBe(false)
    expect(isGlobPattern('a*')).toBe(true)
    expect(isGlobPattern('a?')).toBe(true)
    expect(isGlobPattern('[a]')).toBe(true)
    expect(isGlobPattern('a\\b')).toBe(true)
  })
})
