import { describe, expect, it } from 'vitest'
import { isRediskitError } from '../src/errors.js'
import { globToRegExp } from '../src/glob.js'
import { defaultKeyFunction, KeyBuilder } from '../src/keys.js'

describe('KeyBuilder with the default key function', () => {
  const keys = new KeyBuilder('app', 3)

  it('builds prefix:version:key', () => {
    expect(keys.build('user:1')).toBe('app:3:user:1')
    expect(keys.build('user:1', 7)).toBe('app:7:user:1')
    expect(defaultKeyFunction('k', 'p', 2)).toBe('p:2:k')
    expect(new KeyBuilder('', 1).build('k')).toBe(':1:k')
  })

  it('maps stored keys back to user keys', () => {
    expect(keys.userKey('app:3:user:1')).toBe('user:1')
    expect(keys.userKey('app:7:user:1', 7)).toBe('user:1')
    expect(keys.userKey('app:4:user:1')).toBeUndefined()
    expect(keys.userKey('other:3:x')).toBeUndefined()
    expect(keys.userKey('app:3:')).toBe('')
  })

  it('builds store globs for one version, escaping the prefix', () => {
    expect(keys.pattern('user:*')).toEqual({ glob: 'app:3:user:*', filter: undefined })
    expect(keys.pattern('*', 9).glob).toBe('app:9:*')
    const odd = new KeyBuilder('a*b[1]', 1)
    const { glob } = odd.pattern('*')
    expect(glob).toBe('a\\*b\\[1\\]:1:*')
    expect(globToRegExp(glob).test('a*b[1]:1:k')).toBe(true)
    expect(globToRegExp(glob).test('aXXb1:1:k')).toBe(false)
  })

  it('for every version, filters keys whose version part is not an integer', () => {
    const { glob, filter } = keys.pattern('*', 'all')
    expect(glob).toBe('app:*:*')
    expect(filter?.test('app:1:k')).toBe(true)
    expect(filter?.test('app:-2:k')).toBe(true)
    expect(filter?.test('app:users:1:k')).toBe(false) // a namespace's key
    expect(filter?.test('app:1x:k')).toBe(false)
    expect(filter?.exec('app:12:user:5')?.[1]).toBe('user:5')
  })

  it('keeps an empty prefix from matching foreign keys', () => {
    const bare = new KeyBuilder('', 1)
    const { glob, filter } = bare.pattern('*', 'all')
    expect(glob).toBe(':*:*')
    expect(filter?.test(':1:x')).toBe(true)
    expect(filter?.test('sess:abc')).toBe(false)
  })
})

describe('KeyBuilder with a custom key function', () => {
  it('works through the template of a function that embeds the key', () => {
    const keys = new KeyBuilder('app', 2, (key, prefix, version) => `v${version}/${prefix}/${key}.json`)
    expect(keys.reversible).toBe(true)
    expect(keys.build('a')).toBe('v2/app/a.json')
    expect(keys.pattern('user*').glob).toBe('v2/app/user*.json')
    expect(keys.userKey('v2/app/user1.json')).toBe('user1')
    expect(keys.userKey('v3/app/user1.json', 3)).toBe('user1')
    expect(keys.userKey('v3/app/user1.json')).toBeUndefined()
    const all = keys.pattern('*', 'all')
    expect(all.glob).toBe('v*/app/*.json')
    expect(all.filter?.test('v10/app/x.json')).toBe(true)
    expect(all.filter?.test('vX/app/x.json')).toBe(false)
  })

  it('accepts a function that ignores the version', () => {
    const keys = new KeyBuilder('app', 2, (key, prefix) => `${prefix}-${key}`)
    expect(keys.pattern('*').glob).toBe('app-*')
    expect(keys.pattern('*', 'all').glob).toBe('app-*')
    expect(keys.userKey('app-x')).toBe('x')
  })

  it('builds keys with a function that hides the key, but refuses to list them (E_CONFIG)', () => {
    const hashed = new KeyBuilder(
      'app',
      1,
      (key) => `h:${[...key].reduce((h, c) => h * 31 + c.charCodeAt(0), 7)}`,
    )
    expect(hashed.reversible).toBe(false)
    expect(hashed.build('a')).toBe(`h:${7 * 31 + 97}`)
    for (const call of [() => hashed.pattern('*'), () => hashed.userKey('h:1')]) {
      let caught: unknown
      try {
        call()
      } catch (error) {
        caught = error
      }
      expect(isRediskitError(caught, 'E_CONFIG')).toBe(true)
      expect((caught as Error).message).toContain('keyFunction')
    }
  })

  it('treats a function that repeats the key, or throws on the probe, as not reversible', () => {
    expect(new KeyBuilder('p', 1, (key) => `${key}:${key}`).reversible).toBe(false)
    expect(
      new KeyBuilder('p', 1, (key) => {
        if (key.includes('\u0000')) throw new Error('no NUL')
        return key
      }).reversible,
    ).toBe(false)
  })

  it('rejects a key function that returns a non-string', () => {
    const keys = new KeyBuilder('p', 1, (() => 42) as unknown as (k: string) => string)
    expect(() => keys.build('a')).toThrow(/keyFunction returned number/)
  })
})
