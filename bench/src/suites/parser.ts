/**
 * Parser: how fast @rediskit/parser decodes, next to the decoders Node clients ship, and what its
 * nativeDriver gives a Cache.
 *
 * 1. Decode throughput (MB/s and replies/s) of @rediskit/parser's `Decoder` against redis-parser
 *    3.0.0 (RESP2 only; what ioredis 4/5 used), ioredis 6.0.0's decoder
 *    (`ioredis/built/resp/decoder.js`, as published) and @redis/client 6.3.1's
 *    (`@redis/client/dist/lib/RESP/decoder.js`) on four workloads, in string and Buffer mode:
 *    100k bulk strings of 100 B, 10k arrays of 100 x 32 B (MGET-like), 10 bulk strings of 1 MiB,
 *    200k integers and simple strings. The stream is cut into 64 KiB chunks (what a socket read
 *    hands over). Each measurement runs in a fresh Node process (no JIT state or heap shared
 *    between contenders): warm-up passes, then timed passes; a process reports its fastest pass,
 *    and each contender's best process over the interleaved rounds is shown (a load spike from
 *    other processes costs one round of one contender, not a row). Each process checks that its
 *    replies are right before it reports. "Buffer mode" means bulk and simple strings as Buffers,
 *    each library's own way (returnBuffers; a type mapping to Buffer).
 * 2. Cache get/set against one local redis-server: the same Cache (batching on) over nativeDriver
 *    and over core's ioredis driver, the two drivers raw, and `redis-benchmark -P 16` (50
 *    clients, 100-byte values) on the same server as the ceiling of what the server does.
 */
import { spawn, spawnSync } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createCache, type Driver, ioredisDriver, StandaloneTopology } from '@rediskit/core'
import { nativeDriver } from '@rediskit/parser'
import { startRedis } from '@rediskit/testing'
import { median, runLoad } from '../lib/load.js'
import type { Measurement } from '../lib/measure.js'
import { type Table, writeReport } from '../lib/report.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1000)
const benchDir = fileURLToPath(new URL('../../', import.meta.url))

const WORKLOADS = {
  bulk: '100k x 100 B bulk strings',
  mget: '10k arrays of 100 x 32 B (MGET-like)',
  large: '10 x 1 MiB bulk strings',
  ints: '200k integers + simple strings',
} as const
type Workload = keyof typeof WORKLOADS
const MODES = ['string', 'Buffer'] as const
type Mode = (typeof MODES)[number]
const CONTENDERS = ['@rediskit/parser', 'redis-parser 3.0.0', 'ioredis 6.0.0', '@redis/client 6.3.1'] as const
type Contender = (typeof CONTENDERS)[number]

interface ChildResult {
  bytes: number
  replies: number
  /** Fastest pass, ms. */
  best: number
}

/**
 * The child process, as plain JavaScript (`node --input-type=module -e`): no TypeScript loader
 * between the decoders and the CPU. It builds the workload, checks the contender's replies,
 * then times passes over the chunks.
 */
const CHILD = String.raw`
import { createRequire } from 'node:module'
const spec = JSON.parse(process.env.RK_PARSE_SPEC)
const require = createRequire(process.cwd() + '/package.json')
const buffers = spec.mode === 'Buffer'

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.repeat(40400)
function text(length, seed) {
  const start = (seed * 7) % 26
  return LETTERS.slice(start, start + length)
}
function workload(name) {
  const parts = []
  let replies = 0
  if (name === 'bulk') {
    for (let i = 0; i < 100000; i++) parts.push('$100\r\n' + text(100, i) + '\r\n')
    replies = 100000
  } else if (name === 'mget') {
    for (let i = 0; i < 10000; i++) {
      parts.push('*100\r\n')
      for (let j = 0; j < 100; j++) parts.push('$32\r\n' + text(32, i + j) + '\r\n')
    }
    replies = 10000
  } else if (name === 'large') {
    for (let i = 0; i < 10; i++) parts.push('$1048576\r\n' + text(1048576, i) + '\r\n')
    replies = 10
  } else {
    for (let i = 0; i < 100000; i++) parts.push(':' + ((i * 7919) % 1000000007) + '\r\n+OK\r\n')
    replies = 200000
  }
  return { data: Buffer.from(parts.join(''), 'latin1'), replies }
}
const expectedFirst = { bulk: text(64, 0), mget: text(32, 0), large: text(64, 0), ints: '0' }

const { data, replies } = workload(spec.workload)
const chunks = []
for (let i = 0; i < data.length; i += 65536) chunks.push(data.subarray(i, i + 65536))

let count = 0
let first
let second
const onReply = (reply) => {
  if (count === 0) first = reply
  else if (count === 1) second = reply
  count++
}
let feed
switch (spec.contender) {
  case '@rediskit/parser': {
    const { Decoder } = await import('@rediskit/parser')
    const decoder = new Decoder({ onReply, returnBuffers: buffers })
    feed = (chunk) => decoder.write(chunk)
    break
  }
  case 'redis-parser 3.0.0': {
    const Parser = require('redis-parser')
    const parser = new Parser({ returnReply: onReply, returnError: () => {}, returnBuffers: buffers })
    feed = (chunk) => parser.execute(chunk)
    break
  }
  default: {
    const path = spec.contender.startsWith('ioredis') ? 'ioredis/built/resp/decoder.js' : '@redis/client/dist/lib/RESP/decoder.js'
    const { Decoder, RESP_TYPES } = require(path)
    const mapping = buffers ? { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer } : {}
    const decoder = new Decoder({ onReply, onErrorReply: () => {}, onPush: () => {}, getTypeMapping: () => mapping })
    feed = (chunk) => decoder.write(chunk)
  }
}
const pass = () => {
  for (let i = 0; i < chunks.length; i++) feed(chunks[i])
}

// Check before timing: a fast wrong answer is not a result.
pass()
if (count !== replies) throw new Error(spec.contender + ': ' + count + ' replies, expected ' + replies)
const sample = Array.isArray(first) ? first[0] : first
const status = spec.workload === 'ints' ? second : sample
if (buffers !== Buffer.isBuffer(status)) throw new Error(spec.contender + ': expected ' + (buffers ? 'Buffers' : 'strings'))
if (String(sample).slice(0, 64) !== expectedFirst[spec.workload]) throw new Error(spec.contender + ': wrong first reply')
if (spec.workload === 'ints' && String(second) !== 'OK') throw new Error(spec.contender + ': wrong second reply')

const warmEnd = performance.now() + 250
while (performance.now() < warmEnd) pass()
let best = Infinity
const end = performance.now() + spec.timeMs
let passes = 0
while (passes < 3 || performance.now() < end) {
  const started = performance.now()
  pass()
  const took = performance.now() - started
  if (took < best) best = took
  passes++
}
process.stdout.write(JSON.stringify({ bytes: data.length, replies, best }))
`

function child(workload: Workload, mode: Mode, contender: Contender): ChildResult {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: benchDir,
    env: { ...process.env, RK_PARSE_SPEC: JSON.stringify({ workload, mode, contender, timeMs: TIME_MS }) },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  if (result.status !== 0)
    throw new Error(`${contender} on ${workload}/${mode} failed: ${result.stderr || result.stdout}`)
  return JSON.parse(result.stdout) as ChildResult
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

async function decodeTables(): Promise<{ tables: Table[]; summary: string[] }> {
  const tables: Table[] = []
  const summary: string[] = []
  for (const workload of Object.keys(WORKLOADS) as Workload[]) {
    for (const mode of MODES) {
      const best = new Map<Contender, ChildResult>()
      for (let round = 0; round < ROUNDS; round++) {
        // Rotate the order each round: no contender always runs right after the same neighbour.
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length] as Contender)
        for (const contender of order) {
          const result = child(workload, mode, contender)
          const previous = best.get(contender)
          if (previous === undefined || result.best < previous.best) best.set(contender, result)
        }
      }
      const rows: Measurement[] = CONTENDERS.map((name) => {
        const r = best.get(name) as ChildResult
        return {
          name,
          opsPerSec: (r.replies * 1000) / r.best,
          extra: { 'MB/s': fmt(r.bytes / 1e6 / (r.best / 1000)), 'ms per pass': r.best.toFixed(2) },
        }
      })
      const incumbents = rows.filter((row) => row.name !== '@rediskit/parser')
      const top = incumbents.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a))
      const ours = rows[0] as Measurement
      const ratio = ours.opsPerSec / top.opsPerSec
      summary.push(`| ${WORKLOADS[workload]} | ${mode} | ${top.name} | ${ratio.toFixed(2)} |`)
      tables.push({
        title: `Decode ${WORKLOADS[workload]}, ${mode} mode (replies/s)`,
        baseline: top.name,
        rows,
      })
      console.log(`  ${workload}/${mode}: ${ratio.toFixed(2)}x ${top.name}`)
    }
  }
  return { tables, summary }
}

interface CacheContender {
  name: string
  get(key: string): Promise<unknown>
  set(key: string, value: string): Promise<unknown>
  close(): Promise<void>
}

const VALUE =
  'user:42 logged in from 203.0.113.7 with Firefox 128 on Linux; session 9f8e7d6c5b4a. Welcome back!!!'
const KEYS = 1000
const CONCURRENCY = 200

function driverContender(name: string, driver: Driver, prefix: string): CacheContender {
  const value = Buffer.from(VALUE)
  return {
    name,
    get: (key) => driver.send('GET', [`${prefix}:${key}`]),
    set: (key) => driver.send('SET', [`${prefix}:${key}`, value]),
    close: () => driver.close(),
  }
}

/** `redis-benchmark -P 16` GET and SET rates (ops/s) on the same server. */
function redisBenchmark(port: number): Promise<{ GET: number; SET: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-benchmark', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'set,get',
      '-n',
      '400000',
      '-P',
      '16',
      '-d',
      '100',
      '-r',
      String(KEYS),
      '-q',
      '--csv',
    ])
    let out = ''
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    proc.on('error', reject)
    proc.on('close', (code) => {
      const rates: Record<string, number> = {}
      for (const line of out.split('\n')) {
        const match = /^"(GET|SET)","([\d.]+)"/.exec(line)
        if (match) rates[match[1] as string] = Number(match[2])
      }
      if (code !== 0 || rates.GET === undefined || rates.SET === undefined) {
        reject(new Error(`redis-benchmark failed (${code}): ${out}`))
        return
      }
      resolve({ GET: rates.GET, SET: rates.SET })
    })
  })
}

async function cacheTables(): Promise<Table[]> {
  await using redis = await startRedis()
  const url = redis.url
  const commandTimeout = 30_000
  const contenders: CacheContender[] = []
  const cacheOn = (name: string, driver: Driver, prefix: string): CacheContender => {
    const cache = createCache({ topology: new StandaloneTopology(driver), prefix, commandTimeout })
    return {
      name,
      get: (key) => cache.get(key),
      set: (key, value) => cache.set(key, value),
      close: async () => {
        await cache.close()
        await driver.close()
      },
    }
  }
  contenders.push(cacheOn('Cache on nativeDriver', nativeDriver(url, { commandTimeout }), 'pn'))
  contenders.push(cacheOn('Cache on ioredis driver', ioredisDriver(url, { commandTimeout }), 'pi'))
  contenders.push(driverContender('nativeDriver (raw GET/SET)', nativeDriver(url, { commandTimeout }), 'rn'))
  contenders.push(
    driverContender('ioredis driver (raw GET/SET)', ioredisDriver(url, { commandTimeout }), 'ri'),
  )

  for (const contender of contenders) {
    for (let i = 0; i < KEYS; i++) await contender.set(`k${i}`, VALUE)
    const back = await contender.get('k7')
    const text = Buffer.isBuffer(back) ? back.toString() : back
    if (text !== VALUE) throw new Error(`${contender.name} read back ${String(text)}`)
  }

  const results = new Map<string, { get: number[]; set: number[] }>()
  const benchmark: { GET: number[]; SET: number[] } = { GET: [], SET: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length] as CacheContender
      const entry = results.get(contender.name) ?? { get: [], set: [] }
      results.set(contender.name, entry)
      const options = { concurrency: CONCURRENCY, timeMs: TIME_MS, warmupMs: 200 }
      entry.get.push((await runLoad((_c, n) => contender.get(`k${(n * 7) % KEYS}`), options)).opsPerSec)
      entry.set.push(
        (await runLoad((_c, n) => contender.set(`k${(n * 13) % KEYS}`, VALUE), options)).opsPerSec,
      )
    }
    const rates = await redisBenchmark(redis.primary.port)
    benchmark.GET.push(rates.GET)
    benchmark.SET.push(rates.SET)
  }
  for (const contender of contenders) await contender.close()

  const tables: Table[] = []
  for (const op of ['get', 'set'] as const) {
    const ceiling = median(op === 'get' ? benchmark.GET : benchmark.SET)
    const rows: Measurement[] = contenders.map((contender) => {
      const opsPerSec = median((results.get(contender.name) as { get: number[]; set: number[] })[op])
      return {
        name: contender.name,
        opsPerSec,
        extra: { 'x redis-benchmark -P 16': (opsPerSec / ceiling).toFixed(2) },
      }
    })
    rows.push({
      name: 'redis-benchmark -P 16 (C, 50 clients)',
      opsPerSec: ceiling,
      extra: { 'x redis-benchmark -P 16': '1.00' },
    })
    tables.push({
      title: `Cache ${op === 'get' ? 'get (hit)' : 'set'}, ${CONCURRENCY} concurrent callers, 100-byte values (median of ${ROUNDS} rounds)`,
      baseline: 'Cache on ioredis driver',
      rows,
    })
  }
  return tables
}

export async function run(): Promise<void> {
  const load = loadavg()[0]?.toFixed(2) ?? '?'
  const { tables, summary } = await decodeTables()
  const cache = await cacheTables()
  const notes = [
    `Decode: best of ${ROUNDS} fresh processes per contender, each reporting its fastest pass over the chunks after a warm-up (${TIME_MS} ms of timed passes). ${availableParallelism()} CPUs; load average ${load} when the suite started.`,
    [
      '| workload | mode | best incumbent | @rediskit/parser x best incumbent |',
      '|---|---|---|---|',
      ...summary,
    ].join('\n'),
  ]
  const first = tables[0]
  if (first !== undefined) first.notes = notes
  writeReport('parser', 'Parser: decode throughput and Cache on nativeDriver', [...tables, ...cache])
}
