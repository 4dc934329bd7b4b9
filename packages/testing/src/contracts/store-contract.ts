import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Store } from '@rediskit/core'
import { eventually } from './eventually.js'
import type { ContractTestApi } from './test-api.js'

/** What a store factory returns. */
export interface StoreUnderTest {
  store: Store
  /** Runs after the suite closed the store (stop servers, remove files...). */
  cleanup?: (() => Promise<void>) | undefined
}

/** Optional capabilities; every flag defaults to `true`. Turn one off only for a store that lacks it. */
export interface StoreCapabilities {
  /** `flush()` empties the store. The flush test runs last: it erases everything the store holds. */
  flush?: boolean | undefined
  /** `scan()` lists keys by glob. */
  scan?: boolean | undefined
  /** `acquireLease` / `releaseLease` / `extendLease`. */
  leases?: boolean | undefined
}

/**
 * The semantics every {@link Store} shares (RedisStore, MemoryStore, and yours): run it and your
 * store agrees with the built-in ones on every method.
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { storeContract } from '@rediskit/testing'
 * storeContract(vitest, 'MyStore', async () => ({ store: new MyStore() }))
 * ```
 *
 * `factory` is called once for the suite (and once more for the close test); tests isolate
 * themselves by key prefix, so the store may hold other keys, except that the flush test
 * (last) erases everything.
 */
export function storeContract(
  api: ContractTestApi,
  name: string,
  factory: () => Promise<StoreUnderTest>,
  capabilities: StoreCapabilities = {},
): void {
  const { describe, it, beforeAll, afterAll } = api
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest | undefined
    const run = randomUUID().slice(0, 8)
    let counter = 0
    /** A fresh key prefix per test. */
    const ns = (): string => `rk-contract:${run}:${++counter}:`
    const store = (): Store => {
      if (subject === undefined) throw new Error('the store factory did not run (see the beforeAll error)')
      return subject.store
    }
    const bytes = (text: string): Buffer => Buffer.from(text, 'utf8')
    const text = (value: Buffer | undefined): string | undefined => value?.toString('utf8')

    beforeAll(async () => {
      subject = await factory()
    })
    afterAll(async () => {
      if (subject === undefined) return
      await subject.store.close()
      await subject.cleanup?.()
    })

    describe('get / set', () => {
      it('get of a missing key is undefined', async () => {
        assert.equal(await store().get(`${ns()}missing`), undefined)
      })

      it('set then get returns the same bytes (binary-safe, empty value kept)', async () => {
        const p = ns()
        const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a, 0])
        assert.equal(await store().set(`${p}bin`, binary), true)
        assert.deepEqual(await store().get(`${p}bin`), binary)
        assert.equal(await store().set(`${p}empty`, Buffer.alloc(0)), true)
        const empty = await store().get(`${p}empty`)
        assert.ok(Buffer.isBuffer(empty), 'an empty value is a hit, not a miss')
        assert.equal(empty.length, 0)
        const big = Buffer.alloc(256 * 1024, 7)
        await store().set(`${p}big`, big)
        assert.deepEqual(await store().get(`${p}big`), big)
      })

      it('set overwrites, and keys are exact (no prefix matching, case-sensitive, unicode)', async () => {
        const p = ns()
        await store().set(`${p}k`, bytes('one'))
        await store().set(`${p}k`, bytes('two'))
        await store().set(`${p}K`, bytes('upper'))
        await store().set(`${p}ключ🔑`, bytes('unicode'))
        assert.equal(text(await store().get(`${p}k`)), 'two')
        assert.equal(text(await store().get(`${p}K`)), 'upper')
        assert.equal(text(await store().get(`${p}ключ🔑`)), 'unicode')
        assert.equal(await store().get(`${p}`), undefined)
      })

      it('a value returned by get is a copy: mutating it does not change the store', async () => {
        const p = ns()
        const input = bytes('abc')
        await store().set(`${p}k`, input)
        input.fill(0)
        const first = await store().get(`${p}k`)
        assert.equal(text(first), 'abc')
        first?.fill(0)
        assert.equal(text(await store().get(`${p}k`)), 'abc')
      })

      it('set with ttl expires the key', async () => {
        const p = ns()
        assert.equal(await store().set(`${p}k`, bytes('v'), { ttl: 60 }), true)
        const ttl = await store().ttl(`${p}k`)
        assert.ok(ttl === undefined || (typeof ttl === 'number' && ttl > 0 && ttl <= 60), `ttl ${ttl}`)
        await eventually('the key expired', async () => (await store().get(`${p}k`)) === undefined)
        assert.equal(await store().has(`${p}k`), false)
        assert.equal(await store().ttl(`${p}k`), undefined)
      })

      it('set without ttl removes an earlier expiry; set with ttl replaces it', async () => {
        const p = ns()
        await store().set(`${p}k`, bytes('v'), { ttl: 60_000 })
        await store().set(`${p}k`, bytes('w'))
        assert.equal(await store().ttl(`${p}k`), null)
        await store().set(`${p}k`, bytes('x'), { ttl: 120_000 })
        const ttl = await store().ttl(`${p}k`)
        assert.ok(typeof ttl === 'number' && ttl > 60_000 && ttl <= 120_000, `ttl ${ttl}`)
      })

      it('nx writes only a missing key', async () => {
        const p = ns()
        assert.equal(await store().set(`${p}k`, bytes('first'), { nx: true }), true)
        assert.equal(await store().set(`${p}k`, bytes('second'), { nx: true }), false)
        assert.equal(text(await store().get(`${p}k`)), 'first')
      })

      it('xx writes only an existing key', async () => {
        const p = ns()
        assert.equal(await store().set(`${p}k`, bytes('v'), { xx: true }), false)
        assert.equal(await store().has(`${p}k`), false)
        await store().set(`${p}k`, bytes('v'))
        assert.equal(await store().set(`${p}k`, bytes('w'), { xx: true }), true)
        assert.equal(text(await store().get(`${p}k`)), 'w')
      })

      it('nx with a ttl, xx with a ttl', async () => {
        const p = ns()
        assert.equal(await store().set(`${p}k`, bytes('v'), { nx: true, ttl: 60_000 }), true)
        const first = await store().ttl(`${p}k`)
        assert.ok(typeof first === 'number' && first > 0 && first <= 60_000)
        assert.equal(await store().set(`${p}k`, bytes('w'), { xx: true, ttl: 120_000 }), true)
        const second = await store().ttl(`${p}k`)
        assert.ok(typeof second === 'number' && second > 60_000, `ttl ${second}`)
      })

      it('keepTtl keeps the current expiry', async () => {
        const p = ns()
        await store().set(`${p}k`, bytes('v'), { ttl: 60_000 })
        assert.equal(await store().set(`${p}k`, bytes('w'), { keepTtl: true }), true)
        assert.equal(text(await store().get(`${p}k`)), 'w')
        const ttl = await store().ttl(`${p}k`)
        assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
        await store().set(`${p}plain`, bytes('v'))
        await store().set(`${p}plain`, bytes('w'), { keepTtl: true })
        assert.equal(await store().ttl(`${p}plain`), null)
        assert.equal(await store().set(`${p}new`, bytes('v'), { keepTtl: true }), true)
        assert.equal(await store().ttl(`${p}new`), null)
      })
    })

    describe('getMany / setMany', () => {
      it('getMany is aligned with the keys: misses are undefined, duplicates repeat', async () => {
        const p = ns()
        await store().set(`${p}a`, bytes('A'))
        await store().set(`${p}c`, bytes('C'))
        const values = await store().getMany([`${p}a`, `${p}b`, `${p}c`, `${p}a`])
        assert.deepEqual(values.map(text), ['A', undefined, 'C', 'A'])
        assert.deepEqual(await store().getMany([]), [])
      })

      it('getMany of many keys (more than one command can carry)', async () => {
        const p = ns()
        const keys = Array.from({ length: 2500 }, (_, i) => `${p}${i}`)
        await store().setMany(
          keys.filter((_, i) => i % 3 !== 0).map((key): [string, Buffer] => [key, bytes(key)]),
        )
        const values = await store().getMany(keys)
        assert.equal(values.length, keys.length)
        values.forEach((value, i) => {
          assert.equal(text(value), i % 3 === 0 ? undefined : keys[i])
        })
      })

      it('setMany writes every entry; the last of duplicate keys wins; no ttl means no expiry', async () => {
        const p = ns()
        await store().set(`${p}old`, bytes('x'), { ttl: 60_000 })
        await store().setMany([
          [`${p}a`, bytes('1')],
          [`${p}b`, bytes('2')],
          [`${p}a`, bytes('3')],
          [`${p}old`, bytes('y')],
        ])
        assert.deepEqual((await store().getMany([`${p}a`, `${p}b`, `${p}old`])).map(text), ['3', '2', 'y'])
        assert.equal(await store().ttl(`${p}a`), null)
        assert.equal(await store().ttl(`${p}old`), null)
        await store().setMany([])
      })

      it('setMany with a ttl sets it on every entry', async () => {
        const p = ns()
        await store().setMany(
          [
            [`${p}a`, bytes('1')],
            [`${p}b`, bytes('2')],
          ],
          60_000,
        )
        for (const key of [`${p}a`, `${p}b`]) {
          const ttl = await store().ttl(key)
          assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
        }
        await store().setMany([[`${p}short`, bytes('1')]], 50)
        await eventually('the setMany entry expired', async () => !(await store().has(`${p}short`)))
      })
    })

    describe('delete / has / ttl', () => {
      it('delete is true only for an existing key', async () => {
        const p = ns()
        await store().set(`${p}k`, bytes('v'))
        assert.equal(await store().delete(`${p}k`), true)
        assert.equal(await store().delete(`${p}k`), false)
        assert.equal(await store().get(`${p}k`), undefined)
      })

      it('deleteMany counts the keys that existed (a duplicate counts once)', async () => {
        const p = ns()
        await store().setMany([
          [`${p}a`, bytes('1')],
          [`${p}b`, bytes('2')],
        ])
        assert.equal(await store().deleteMany([`${p}a`, `${p}b`, `${p}missing`, `${p}a`]), 2)
        assert.deepEqual(await store().getMany([`${p}a`, `${p}b`]), [undefined, undefined])
        assert.equal(await store().deleteMany([]), 0)
      })

      it('deleteMany of many keys', async () => {
        const p = ns()
        const keys = Array.from({ length: 2100 }, (_, i) => `${p}${i}`)
        await store().setMany(keys.map((key): [string, Buffer] => [key, bytes('v')]))
        assert.equal(await store().deleteMany(keys), keys.length)
        assert.equal(await store().has(keys[2099] as string), false)
      })

      it('has tells whether a key exists', async () => {
        const p = ns()
        assert.equal(await store().has(`${p}k`), false)
        await store().set(`${p}k`, Buffer.alloc(0))
        assert.equal(await store().has(`${p}k`), true)
      })

      it('ttl: undefined when missing, null without expiry, ms left otherwise', async () => {
        const p = ns()
        assert.equal(await store().ttl(`${p}missing`), undefined)
        await store().set(`${p}forever`, bytes('v'))
        assert.equal(await store().ttl(`${p}forever`), null)
        await store().set(`${p}timed`, bytes('v'), { ttl: 30_000 })
        const ttl = await store().ttl(`${p}timed`)
        assert.ok(typeof ttl === 'number' && Number.isInteger(ttl) && ttl > 0 && ttl <= 30_000, `ttl ${ttl}`)
      })
    })

    describe('expire / expireAt / persist', () => {
      it('expire is true only for an existing key, and sets its ttl', async () => {
        const p = ns()
        assert.equal(await store().expire(`${p}missing`, 10_000), false)
        assert.equal(await store().has(`${p}missing`), false)
        await store().set(`${p}k`, bytes('v'))
        assert.equal(await store().expire(`${p}k`, 10_000), true)
        const ttl = await store().ttl(`${p}k`)
        assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 10_000, `ttl ${ttl}`)
        assert.equal(await store().expire(`${p}k`, 40), true)
        await eventually('the key expired', async () => !(await store().has(`${p}k`)))
      })

      it('expireAt is true only for an existing key; a past time removes the key', async () => {
        const p = ns()
        assert.equal(await store().expireAt(`${p}missing`, Date.now() + 10_000), false)
        await store().set(`${p}k`, bytes('v'))
        assert.equal(await store().expireAt(`${p}k`, Date.now() + 10_000), true)
        const ttl = await store().ttl(`${p}k`)
        assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 10_000, `ttl ${ttl}`)
        assert.equal(await store().expireAt(`${p}k`, Date.now() - 1000), true)
        assert.equal(await store().has(`${p}k`), false)
      })

      it('persist is true for an existing key, with or without expiry, and removes the expiry', async () => {
        const p = ns()
        assert.equal(await store().persist(`${p}missing`), false)
        await store().set(`${p}timed`, bytes('v'), { ttl: 10_000 })
        assert.equal(await store().persist(`${p}timed`), true)
        assert.equal(await store().ttl(`${p}timed`), null)
        await store().set(`${p}plain`, bytes('v'))
        assert.equal(await store().persist(`${p}plain`), true)
        assert.equal(await store().ttl(`${p}plain`), null)
      })
    })

    describe('incr', () => {
      it('a missing key starts at 0; the value is stored as decimal text', async () => {
        const p = ns()
        assert.equal(await store().incr(`${p}n`, 1), 1)
        assert.equal(await store().incr(`${p}n`, 41), 42)
        assert.equal(await store().incr(`${p}n`, -50), -8)
        assert.equal(text(await store().get(`${p}n`)), '-8')
        assert.equal(await store().incr(`${p}m`, -3), -3)
        assert.equal(await store().ttl(`${p}n`), null)
      })

      it('works on a decimal value written with set', async () => {
        const p = ns()
        await store().set(`${p}n`, bytes('10'))
        assert.equal(await store().incr(`${p}n`, 5), 15)
      })

      it('keeps the ttl', async () => {
        const p = ns()
        await store().set(`${p}n`, bytes('1'), { ttl: 60_000 })
        assert.equal(await store().incr(`${p}n`, 1), 2)
        const ttl = await store().ttl(`${p}n`)
        assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
      })

      it('fails on a value that is not an integer, and leaves it alone', async () => {
        const p = ns()
        for (const value of ['abc', '1.5', '', ' 1', '1e3']) {
          await store().set(`${p}n`, bytes(value))
          await assert.rejects(store().incr(`${p}n`, 1), (error: unknown) => {
            assert.ok(error instanceof Error)
            assert.equal(typeof (error as { code?: unknown }).code, 'string', 'a RediskitError with a code')
            return true
          })
          assert.equal(text(await store().get(`${p}n`)), value)
        }
      })

      it('concurrent increments are atomic', async () => {
        const p = ns()
        await Promise.all(Array.from({ length: 50 }, () => store().incr(`${p}n`, 2)))
        assert.equal(text(await store().get(`${p}n`)), '100')
      })
    })

    if (capabilities.scan !== false) {
      describe('scan', () => {
        const collect = async (pattern: string, count?: number): Promise<string[][]> => {
          const batches: string[][] = []
          for await (const batch of store().scan(pattern, count === undefined ? {} : { count }))
            batches.push(batch)
          return batches
        }

        it('lists every matching key exactly once, over several batches', async () => {
          const p = ns()
          const keys = Array.from({ length: 300 }, (_, i) => `${p}item:${i}`)
          await store().setMany(keys.map((key): [string, Buffer] => [key, bytes('v')]))
          await store().set(`${p}other`, bytes('v'))
          const batches = await collect(`${p}item:*`, 10)
          const seen = batches.flat()
          assert.equal(seen.length, keys.length, 'no key twice')
          assert.deepEqual(new Set(seen), new Set(keys))
          assert.ok(batches.length > 1, 'several batches with a small count')
          for (const batch of batches) assert.ok(Array.isArray(batch))
        })

        it('matches Redis globs: *, ?, [abc], [^a], [a-c] and \\ escapes', async () => {
          const p = ns()
          const keys = ['ab', 'ac', 'ad', 'abc', 'a*', 'a?', 'b', 'a[', 'xyz']
          await store().setMany(keys.map((key): [string, Buffer] => [`${p}${key}`, bytes('v')]))
          const match = async (glob: string): Promise<string[]> =>
            (await collect(`${p}${glob}`))
              .flat()
              .map((key) => key.slice(p.length))
              .sort()
          assert.deepEqual(await match('*'), [...keys].sort())
          assert.deepEqual(await match('a?'), ['a*', 'a?', 'a[', 'ab', 'ac', 'ad'])
          assert.deepEqual(await match('a[bc]'), ['ab', 'ac'])
          assert.deepEqual(await match('a[^b]'), ['a*', 'a?', 'a[', 'ac', 'ad'])
          assert.deepEqual(await match('a[b-c]'), ['ab', 'ac'])
          assert.deepEqual(await match('a\\*'), ['a*'])
          assert.deepEqual(await match('a\\?'), ['a?'])
          assert.deepEqual(await match('a\\['), ['a['])
          assert.deepEqual(await match('ab'), ['ab'])
          assert.deepEqual(await match('nothing*'), [])
        })

        it('does not list expired keys', async () => {
          const p = ns()
          await store().set(`${p}live`, bytes('v'))
          await store().set(`${p}dead`, bytes('v'), { ttl: 20 })
          await eventually('the key expired', async () => !(await store().has(`${p}dead`)))
          assert.deepEqual((await collect(`${p}*`)).flat(), [`${p}live`])
        })
      })
    }

    if (capabilities.leases !== false) {
      describe('leases', () => {
        it('one holder at a time; release and extend only with the holder token', async () => {
          const p = ns()
          const lease = `${p}lease`
          assert.equal(await store().acquireLease(lease, 'alice', 10_000), true)
          assert.equal(await store().acquireLease(lease, 'bob', 10_000), false)
          assert.equal(await store().acquireLease(lease, 'alice', 10_000), false, 'not re-entrant')
          assert.equal(await store().releaseLease(lease, 'bob'), false)
          assert.equal(await store().extendLease(lease, 'bob', 60_000), false)
          const before = await store().ttl(lease)
          assert.ok(typeof before === 'number' && before <= 10_000)
          assert.equal(await store().extendLease(lease, 'alice', 60_000), true)
          const after = await store().ttl(lease)
          assert.ok(typeof after === 'number' && after > 10_000 && after <= 60_000, `ttl ${after}`)
          assert.equal(await store().releaseLease(lease, 'alice'), true)
          assert.equal(await store().releaseLease(lease, 'alice'), false)
          assert.equal(await store().extendLease(lease, 'alice', 1000), false)
          assert.equal(await store().acquireLease(lease, 'bob', 10_000), true)
          assert.equal(await store().releaseLease(lease, 'bob'), true)
        })

        it('a lease expires by itself; then another holder can take it', async () => {
          const p = ns()
          const lease = `${p}lease`
          assert.equal(await store().acquireLease(lease, 'alice', 30), true)
          await eventually('the lease expired', async () => store().acquireLease(lease, 'bob', 10_000))
          assert.equal(await store().releaseLease(lease, 'alice'), false)
          assert.equal(await store().extendLease(lease, 'alice', 10_000), false)
          assert.equal(await store().releaseLease(lease, 'bob'), true)
        })

        it('concurrent acquirers: exactly one wins', async () => {
          const p = ns()
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => store().acquireLease(`${p}lease`, `t${i}`, 10_000)),
          )
          assert.equal(results.filter(Boolean).length, 1)
        })
      })
    }

    describe('close', () => {
      it('after close, operations reject with E_CLOSED; close is idempotent', async () => {
        const own = await factory()
        try {
          await own.store.set(`${ns()}k`, bytes('v'))
          await own.store.close()
          await own.store.close()
          for (const call of [
            () => own.store.get('k'),
            () => own.store.set('k', bytes('v')),
            () => own.store.getMany(['k']),
            () => own.store.incr('k', 1),
          ]) {
            await assert.rejects(call(), (error: unknown) => {
              assert.equal((error as { code?: unknown }).code, 'E_CLOSED')
              return true
            })
          }
        } finally {
          await own.store.close()
          await own.cleanup?.()
        }
      })
    })

    if (capabilities.flush !== false) {
      describe('flush (runs last: erases the store)', () => {
        it('removes every key', async () => {
          const p = ns()
          await store().setMany([
            [`${p}a`, bytes('1')],
            [`other:${run}`, bytes('2')],
          ])
          await store().flush()
          assert.deepEqual(await store().getMany([`${p}a`, `other:${run}`]), [undefined, undefined])
        })
      })
    }
  })
}
