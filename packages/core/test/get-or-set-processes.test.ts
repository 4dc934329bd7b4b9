import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// getOrSet across processes on a real redis-server: 4 processes x 250 concurrent calls on one
// cold key run the factory once in total; when the lease holder is killed mid-compute, the others
// take over after lockTtl and nobody hangs.

const child = fileURLToPath(new URL('./support/stampede-child.ts', import.meta.url))
const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Worker {
  process: ChildProcess
  lines: Interface
  /** Resolves with the next stdout line matching `test`. */
  next(test: (line: string) => boolean): Promise<string>
  exited: Promise<number | null>
  stderr: string[]
}

function startWorker(env: Record<string, string>): Worker {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
  const stderr: string[] = []
  proc.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const seen: string[] = []
  const waiting: { test: (line: string) => boolean; resolve: (line: string) => void }[] = []
  lines.on('line', (line) => {
    const index = waiting.findIndex((w) => w.test(line))
    if (index === -1) seen.push(line)
    else waiting.splice(index, 1)[0]?.resolve(line)
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return {
    process: proc,
    lines,
    stderr,
    exited,
    next: (test) => {
      const index = seen.findIndex(test)
      if (index !== -1) return Promise.resolve(seen.splice(index, 1)[0] as string)
      return new Promise((resolve, reject) => {
        waiting.push({ test, resolve })
        void exited.then((code) =>
          reject(new Error(`worker exited (${String(code)}) before the expected line: ${stderr.join('')}`)),
        )
      })
    },
  }
}

interface Summary {
  count: number
  distinct: string[]
  ms: number
}

const isSummary = (line: string): boolean => line.startsWith('{')

let server: RedisDeployment
let raw: Redis
const workers: Worker[] = []

beforeAll(async () => {
  server = await startRedis()
  raw = new Redis(server.url, { lazyConnect: true })
})

afterAll(async () => {
  for (const worker of workers) worker.process.kill('SIGKILL')
  raw?.disconnect()
  await server?.stop()
})

async function startAll(count: number, env: Record<string, string>): Promise<Worker[]> {
  const started = Array.from({ length: count }, () => startWorker({ REDIS_URL: server.url, ...env }))
  workers.push(...started)
  await Promise.all(started.map((w) => w.next((line) => line === 'ready')))
  return started
}

describe('getOrSet across processes', () => {
  it('4 processes x 250 concurrent calls on a cold key run the factory once in total', async () => {
    const key = 'cold-once'
    const group = await startAll(4, { KEY: key, CALLS: '250', FACTORY_MS: '300' })
    for (const worker of group) worker.process.stdin?.write('go\n')
    const summaries = (await Promise.all(group.map((w) => w.next(isSummary)))).map(
      (line) => JSON.parse(line) as Summary,
    )
    expect(summaries.map((s) => s.count)).toEqual([250, 250, 250, 250])
    expect(new Set(summaries.flatMap((s) => s.distinct))).toEqual(new Set(['value from run 1']))
    expect(await raw.get(`${key}:factory-runs`)).toBe('1')
    expect(await Promise.all(group.map((w) => w.exited))).toEqual([0, 0, 0, 0])
  }, 60_000)

  it('a lease holder killed mid-compute: the others take over after lockTtl, nobody hangs', async () => {
    const key = 'cold-killed'
    const lockTtl = 1000
    const group = await startAll(4, {
      KEY: key,
      CALLS: '250',
      MODE: 'hang',
      LOCK_TTL: String(lockTtl),
      WAIT_TIMEOUT: '20000',
      FACTORY_MS: '50',
    })
    for (const worker of group) worker.process.stdin?.write('go\n')
    const holder = await Promise.race(group.map((w) => w.next((line) => line === 'holder').then(() => w)))
    holder.process.kill('SIGKILL')
    const survivors = group.filter((w) => w !== holder)
    const summaries = (await Promise.all(survivors.map((w) => w.next(isSummary)))).map(
      (line) => JSON.parse(line) as Summary,
    )
    expect(summaries.map((s) => s.count)).toEqual([250, 250, 250])
    // One survivor took the expired lease and computed; the others read its value.
    expect(new Set(summaries.flatMap((s) => s.distinct))).toEqual(new Set(['value from run 2']))
    expect(await raw.get(`${key}:factory-runs`)).toBe('2')
    expect(await Promise.all(survivors.map((w) => w.exited))).toEqual([0, 0, 0])
  }, 60_000)
})
