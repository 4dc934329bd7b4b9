import { describe, expect, it } from 'vitest'
import { NullStore } from '../src/null-store.js'

describe('NullStore', () => {
  it('accepts writes and forgets them', async () => {
    const store = new NullStore()
    expect(store.kind).toBe('null')
    expect(await store.set('k', Buffer.from('v'))).toBe(true)
    expect(await store.set('k', Buffer.from('v'), { nx: true, ttl: 10 })).toBe(true)
    await store.setMany([['a', Buffer.from('1')]], 1000)
    expect(await store.get('k')).toBeUndefined()
    expect(await store.getMany(['a', 'k'])).toEqual([undefined, undefined])
    expect(await store.has('k')).toBe(false)
    expect(await store.ttl('k')).toBeUndefined()
  })

  it('has nothing to delete, expire or persist', async () => {
    const store = new NullStore()
    expect(await store.delete('k')).toBe(false)
    expect(await store.deleteMany(['a', 'b'])).toBe(0)
    expect(await store.expire('k', 1000)).toBe(false)
    expect(await store.expireAt('k', Date.now() + 1000)).toBe(false)
    expect(await store.persist('k')).toBe(false)
    await store.flush()
  })

  it('counts from zero every time, scans nothing, grants every lease', async () => {
    const store = new NullStore()
    expect(await store.incr('n', 5)).toBe(5)
    expect(await store.incr('n', 5)).toBe(5)
    const batches: string[][] = []
    for await (const batch of store.scan('*')) batches.push(batch)
    expect(batches).toEqual([])
    expect(await store.acquireLease('l', 't', 1000)).toBe(true)
    expect(await store.acquireLease('l', 'u', 1000)).toBe(true)
    expect(await store.extendLease('l', 't', 1000)).toBe(true)
    expect(await store.releaseLease('l', 't')).toBe(true)
    await store.close()
  })
})
