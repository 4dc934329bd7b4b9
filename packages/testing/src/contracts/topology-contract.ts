import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Driver, RedisReply, Topology } from '@rediskit/core'
import { eventually } from './eventually.js'
import type { ContractTestApi } from './test-api.js'

/** What a topology factory returns. */
export interface TopologyUnderTest {
  topology: Topology
  /** Runs after the suite closed the topology (stop servers...). */
  cleanup?: (() => Promise<void>) | undefined
}

/** Optional capabilities; flags default as documented. */
export interface TopologyCapabilities {
  /**
   * `group()` makes exactly one group per driver (default `true`). A cluster topology groups per
   * hash slot instead (several groups may share a node): set `false`.
   */
  oneGroupPerDriver?: boolean | undefined
  /**
   * Reads may be served by replicas that lag behind (default `false`): the read checks then wait
   * (bounded) for the write to show up instead of expecting it at once.
   */
  laggingReads?: boolean | undefined
  /** `close()` closes the drivers: commands sent afterwards reject with `E_CLOSED` (default `true`). */
  closesDrivers?: boolean | undefined
}

/**
 * What every {@link Topology} must do: route keys (`nodeFor`), split key lists into per-node
 * groups covering every index exactly once (`group`), list its primaries for fan-out
 * (`primaries`), and close. Runs real commands through the drivers it hands out.
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { topologyContract } from '@rediskit/testing'
 * topologyContract(vitest, 'my topology', async () => ({ topology: myTopology(...) }))
 * ```
 *
 * `factory` is called once for the suite and once more for the close test; tests isolate
 * themselves by key prefix.
 */
export function topologyContract(
  api: ContractTestApi,
  name: string,
  factory: () => Promise<TopologyUnderTest>,
  capabilities: TopologyCapabilities = {},
): void {
  const { describe, it, beforeAll, afterAll } = api
  const onePerDriver = capabilities.oneGroupPerDriver ?? true
  const lagging = capabilities.laggingReads ?? false

  describe(`Topology contract: ${name}`, () => {
    let subject: TopologyUnderTest | undefined
    const run = randomUUID().slice(0, 8)
    let counter = 0
    const ns = (): string => `rk-topology:${run}:${++counter}:`
    const topology = (): Topology => {
      if (subject === undefined) throw new Error('the topology factory did not run (see the beforeAll error)')
      return subject.topology
    }
    const keysOf = (prefix: string, count: number): string[] =>
      Array.from({ length: count }, (_, i) => `${prefix}${i}:${(i * 7919).toString(36)}`)
    /** Reads through `read`, waiting for replicas to catch up when reads may lag. */
    const readBack = async (what: string, read: () => Promise<boolean>): Promise<void> => {
      if (lagging) await eventually(what, read)
      else assert.ok(await read(), what)
    }

    beforeAll(async () => {
      subject = await factory()
    })
    afterAll(async () => {
      if (subject === undefined) return
      await subject.topology.close()
      await subject.cleanup?.()
    })

    it('has a kind', async () => {
      assert.equal(typeof topology().kind, 'string')
      assert.notEqual(topology().kind, '')
    })

    it('nodeFor hands out drivers; writes to a key are read back through its read node', async () => {
      const p = ns()
      for (const key of keysOf(p, 20)) {
        const writer = topology().nodeFor(key, 'write')
        assertDriver(writer)
        assert.equal(topology().nodeFor(key, 'write').id, writer.id, 'the write node of a key is stable')
        assert.ok(isOk(await writer.send('SET', [key, `v:${key}`])))
        const reader = topology().nodeFor(key, 'read')
        assertDriver(reader)
        await readBack(`${key} is readable`, async () => text(await reader.send('GET', [key])) === `v:${key}`)
      }
    })

    it('write nodes are primaries', async () => {
      const primaries = new Set(
        topology()
          .primaries()
          .map((driver) => driver.id),
      )
      for (const key of keysOf(ns(), 50)) {
        assert.ok(primaries.has(topology().nodeFor(key, 'write').id), `write node of ${key} is a primary`)
      }
    })

    for (const intent of ['read', 'write'] as const) {
      it(`group(keys, '${intent}') covers every index exactly once, routed like nodeFor`, async () => {
        const keys = keysOf(ns(), 200)
        keys.push(keys[3] as string, keys[3] as string)
        const groups = topology().group(keys, intent)
        const seen = new Array<number>(keys.length).fill(0)
        const drivers = new Set<Driver>()
        for (const { driver, indexes } of groups) {
          assertDriver(driver)
          assert.ok(indexes.length > 0, 'no empty group')
          if (onePerDriver) {
            assert.ok(!drivers.has(driver), `one group per driver (${driver.id} has two)`)
          }
          drivers.add(driver)
          for (const index of indexes) {
            assert.ok(Number.isInteger(index) && index >= 0 && index < keys.length, `index ${index} in range`)
            seen[index] = (seen[index] ?? 0) + 1
            if (intent === 'write') {
              assert.equal(
                topology().nodeFor(keys[index] as string, 'write').id,
                driver.id,
                'a key is grouped on its write node',
              )
            }
          }
        }
        assert.deepEqual(
          seen.map((count, index) => (count === 1 ? null : `${index}: ${count}`)).filter((x) => x !== null),
          [],
          'every index exactly once',
        )
        assert.deepEqual(topology().group([], intent), [])
      })
    }

    it('one MGET per read group returns the values written through the write groups', async () => {
      const keys = keysOf(ns(), 120)
      for (const { driver, indexes } of topology().group(keys, 'write')) {
        const results = await driver.batch(
          indexes.map((index) => ['SET', keys[index] as string, `v${index}`]),
        )
        assert.equal(results.length, indexes.length)
        for (const result of results) assert.ok(!(result instanceof Error) && isOk(result), String(result))
      }
      await readBack('every value is read back with MGET per group', async () => {
        const values = new Array<string | undefined>(keys.length)
        for (const { driver, indexes } of topology().group(keys, 'read')) {
          const reply = await driver.send(
            'MGET',
            indexes.map((index) => keys[index] as string),
          )
          assert.ok(Array.isArray(reply) && reply.length === indexes.length, 'MGET replies one value per key')
          indexes.forEach((index, position) => {
            values[index] = text(reply[position] ?? null)
          })
        }
        return values.every((value, index) => value === `v${index}`)
      })
    })

    it('primaries() lists each primary once; SCAN over them finds every key written', async () => {
      const primaries = topology().primaries()
      assert.ok(primaries.length > 0)
      assert.equal(new Set(primaries.map((driver) => driver.id)).size, primaries.length, 'no primary twice')
      const p = ns()
      const keys = keysOf(p, 60)
      for (const key of keys) await topology().nodeFor(key, 'write').send('SET', [key, '1'])
      const found = new Set<string>()
      for (const driver of primaries) {
        let cursor = '0'
        do {
          const reply = await driver.send('SCAN', [cursor, 'MATCH', `${p}*`, 'COUNT', 100])
          assert.ok(Array.isArray(reply) && reply.length === 2 && Array.isArray(reply[1]))
          cursor = text(reply[0] ?? null) ?? '0'
          for (const key of reply[1]) found.add(text(key) ?? '')
        } while (cursor !== '0')
      }
      assert.deepEqual([...found].sort(), [...keys].sort())
    })

    it('batch pipelines commands and reports a failing one in place', async () => {
      const p = ns()
      const driver = topology().nodeFor(`${p}x`, 'write')
      const results = await driver.batch([
        ['SET', `${p}x`, 'abc'],
        ['INCR', `${p}x`],
        ['GET', `${p}x`],
      ])
      assert.equal(results.length, 3)
      assert.ok(!(results[0] instanceof Error) && isOk(results[0] ?? null), String(results[0]))
      assert.ok(results[1] instanceof Error, 'INCR of a non-integer fails')
      assert.equal(text(results[2] as RedisReply), 'abc')
    })

    it('close resolves and is idempotent; afterwards commands reject', async () => {
      const own = await factory()
      try {
        const driver = own.topology.nodeFor(`${ns()}k`, 'write')
        await driver.send('PING', [])
        await own.topology.close()
        await own.topology.close()
        if (capabilities.closesDrivers ?? true) {
          await assert.rejects(driver.send('PING', []), (error: unknown) => {
            assert.equal((error as { code?: unknown }).code, 'E_CLOSED')
            return true
          })
        }
      } finally {
        await own.topology.close()
        await own.cleanup?.()
      }
    })
  })
}

function assertDriver(driver: Driver): void {
  assert.equal(typeof driver.id, 'string', 'a driver has an id')
  assert.notEqual(driver.id, '')
  assert.equal(typeof driver.send, 'function')
  assert.equal(typeof driver.batch, 'function')
  assert.equal(typeof driver.close, 'function')
}

function text(reply: RedisReply | undefined): string | undefined {
  if (reply === null || reply === undefined) return undefined
  if (Buffer.isBuffer(reply)) return reply.toString('utf8')
  if (typeof reply === 'string' || typeof reply === 'number' || typeof reply === 'bigint')
    return String(reply)
  return undefined
}

function isOk(reply: RedisReply): boolean {
  return text(reply) === 'OK'
}
