import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The README's demo command, run as a user runs it: `bash scripts/demo.sh`, non-interactive
// (the default: the tour, then exit). The install step is skipped: the test run has installed already, and a test
// must not rewrite the node_modules other suites are using.
const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function demo(env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(root, 'scripts/demo.sh')], {
      cwd: root,
      env: {
        ...process.env,
        CI: undefined,
        REDIS_URL: undefined,
        REDISKIT_SKIP_INSTALL: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The X-Cache column of the tour's table, in order. */
function xCacheColumn(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\s*\d+\s+(GET|PUT)\s/.test(line))
    .map((line) => (/\s(MISS|HIT|BYPASS|-)\s/.exec(line)?.[1] ?? '?') as string)
}

const TOUR = ['MISS', 'HIT', 'HIT', 'MISS', 'HIT', '-', 'MISS', 'MISS', 'HIT', 'MISS', 'HIT']

describe('npm run demo (scripts/demo.sh)', () => {
  let redis: RedisDeployment
  let noRedisPath: string
  beforeAll(async () => {
    redis = await startRedis({ password: 'demo-s3cret' })
    // The PATH of a machine without Redis: every tool of this one except redis-*.
    noRedisPath = await mkdtemp(join(tmpdir(), 'rediskit-demo-path-'))
    const linked = new Set<string>()
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const names = await readdir(dir).catch(() => [] as string[])
      for (const name of names) {
        if (name.startsWith('redis') || linked.has(name)) continue
        linked.add(name)
        await symlink(join(dir, name), join(noRedisPath, name))
      }
    }
  })
  afterAll(async () => {
    await redis?.stop()
    if (noRedisPath !== undefined) await rm(noRedisPath, { recursive: true, force: true })
  })

  it.concurrent('starts its own redis-server when the binary is there: MISS, HITs, invalidation, MISS again; exits 0', {
    timeout: 120_000,
  }, async () => {
    const run = await demo({})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/rediskit demo listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(run.stdout).toContain('cache: a redis-server started for the demo')
    expect(xCacheColumn(run.stdout)).toEqual(TOUR)
    expect(run.stdout).toMatch(/5 hits \(mean [\d.]+ ms\), 5 misses/)
  })

  it.concurrent('uses REDIS_URL when set, and never prints its password', { timeout: 120_000 }, async () => {
    const run = await demo({ REDIS_URL: redis.url })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`cache: Redis at redis://:***@${redis.primary.address}/0 (REDIS_URL)`)
    expect(`${run.stdout}${run.stderr}`).not.toContain('demo-s3cret')
    expect(xCacheColumn(run.stdout)).toEqual(TOUR)
    // A second run on the same Redis starts cold again.
    const again = await demo({ REDIS_URL: redis.url })
    expect(again.code, again.stderr).toBe(0)
    expect(xCacheColumn(again.stdout)).toEqual(TOUR)
  })

  it.concurrent('falls back to the embedded MemoryStore without redis-server, and says so', {
    timeout: 120_000,
  }, async () => {
    const run = await demo({ PATH: noRedisPath })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('redis-server is not installed')
    expect(run.stdout).toContain('cache: the embedded MemoryStore (redis-server is not installed')
    expect(xCacheColumn(run.stdout)).toEqual(TOUR)
  })
})
