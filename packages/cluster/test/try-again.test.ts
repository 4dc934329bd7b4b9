import type { RedisArg, RedisReply } from '@rediskit/core'
import { describe, expect, it } from 'vitest'
import { isSlotTrouble, isSplittable, splitPerKey } from '../src/try-again.js'

/** A fake server: a map of keys, answering the per-key commands the split sends. */
function server(data: Map<string, string>) {
  const sent: string[] = []
  const send = async (name: string, args: readonly RedisArg[]): Promise<RedisReply> => {
    const key = String(args[0])
    sent.push(`${name} ${args.map(String).join(' ')}`)
    if (name === 'get') return data.has(key) ? Buffer.from(data.get(key) as string) : null
    if (name === 'set') {
      data.set(key, String(args[1]))
      return 'OK'
    }
    if (name === 'unlink' || name === 'del') return data.delete(key) ? 1 : 0
    if (name === 'exists' || name === 'touch') return data.has(key) ? 1 : 0
    throw new Error(`unexpected ${name}`)
  }
  return { send, sent }
}

describe('splitting multi-key commands that meet a slot migration', () => {
  it('recognises TRYAGAIN and exhausted redirections, nothing else', () => {
    expect(isSlotTrouble(new Error('TRYAGAIN Multiple keys request during rehashing of slot'))).toBe(true)
    expect(
      isSlotTrouble(new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 1 h:1')),
    ).toBe(true)
    expect(isSlotTrouble(new Error('Command timed out'))).toBe(false)
    expect(isSlotTrouble('TRYAGAIN')).toBe(false)
  })

  it('splits only multi-key commands with more than one key', () => {
    expect(isSplittable('mget', ['a', 'b'])).toBe(true)
    expect(isSplittable('mget', ['a'])).toBe(false)
    expect(isSplittable('mset', ['a', '1'])).toBe(false)
    expect(isSplittable('mset', ['a', '1', 'b', '2'])).toBe(true)
    expect(isSplittable('unlink', ['a', 'b'])).toBe(true)
    expect(isSplittable('get', ['a', 'b'])).toBe(false)
    expect(isSplittable('constructor', ['a', 'b'])).toBe(false)
  })

  it('answers as the multi-key command would: values in order, OK, sums (a duplicate deleted once)', async () => {
    const data = new Map([
      ['a', '1'],
      ['c', '3'],
    ])
    const { send, sent } = server(data)
    const values = await splitPerKey('mget', ['a', 'b', 'c', 'a'], send)
    expect((values as (Buffer | null)[]).map((v) => v?.toString() ?? null)).toEqual(['1', null, '3', '1'])
    expect(await splitPerKey('mset', ['b', '2', 'd', '4'], send)).toBe('OK')
    expect(data.get('b')).toBe('2')
    expect(data.get('d')).toBe('4')
    expect(await splitPerKey('exists', ['a', 'a', 'x'], send)).toBe(2)
    expect(await splitPerKey('unlink', ['a', 'a', 'x', 'b'], send)).toBe(2)
    expect(sent.filter((line) => line.startsWith('get'))).toHaveLength(4)
  })
})
