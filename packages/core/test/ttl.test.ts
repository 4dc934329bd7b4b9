import { describe, expect, it } from 'vitest'
import { isRediskitError } from '../src/errors.js'
import { parseTtl, resolveTtl } from '../src/ttl.js'

describe('parseTtl', () => {
  it('takes milliseconds as numbers', () => {
    expect(parseTtl(1500)).toBe(1500)
    expect(parseTtl(1)).toBe(1)
  })

  it('rounds fractional milliseconds up, so a tiny positive TTL never removes the key', () => {
    expect(parseTtl(0.2)).toBe(1)
    expect(parseTtl(10.5)).toBe(11)
  })

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
    ['0s', 0],
    ['-1s', -1000],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseTtl(text)).toBe(ms)
  })

  it('keeps null (never expires)', () => {
    expect(parseTtl(null)).toBeNull()
  })

  it('returns 0 and negatives as they are (the caller removes the key)', () => {
    expect(parseTtl(0)).toBe(0)
    expect(parseTtl(-5)).toBe(-5)
    expect(parseTtl(-0.5)).toBeLessThanOrEqual(0)
  })

  it.each([
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '10',
    '10 minutes',
    '5M',
    '1w',
    's',
    '',
    true,
    {},
    undefined,
  ])('rejects %j with E_CONFIG naming the option', (bad) => {
    let caught: unknown
    try {
      parseTtl(bad as never, 'ttl')
    } catch (error) {
      caught = error
    }
    expect(isRediskitError(caught, 'E_CONFIG')).toBe(true)
    expect((caught as Error).message).toContain('ttl')
    expect((caught as { details: Record<string, unknown> }).details.option).toBe('ttl')
  })
})

describe('resolveTtl', () => {
  it('uses the default for undefined', () => {
    expect(resolveTtl(undefined, 1000)).toBe(1000)
    expect(resolveTtl(undefined, null)).toBeNull()
  })

  it('lets an explicit value win over the default', () => {
    expect(resolveTtl(null, 1000)).toBeNull()
    expect(resolveTtl(0, 1000)).toBe(0)
    expect(resolveTtl('1s', null)).toBe(1000)
    expect(resolveTtl(250, null)).toBe(250)
  })
})
