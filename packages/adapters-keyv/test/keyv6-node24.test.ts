/**
 * keyv 6 needs Node >= 22.19, so its contract runs in a child process on Node 24 (the `node`
 * package from the npm registry, `npx -y node@24`, as the packaging test gets it), against the
 * BUILT adapter (`dist/`, run `pnpm build` first; `npm test` does) and the real keyv 6, in a
 * consumer project laid out as an install would be: `node_modules/keyv` is keyv 6 (the
 * `keyv6: npm:keyv@^6` dev dependency), `node_modules/@rediskit/keyv` a copy of the package (so
 * its `import 'keyv'` finds keyv 6, not the keyv 5 next to the sources), `@rediskit/core` linked.
 * The checks are in fixtures/keyv6-contract.mjs.
 */
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type RedisDeployment, startRedis } from '@rediskit/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

const run = promisify(execFile)
const pkg = fileURLToPath(new URL('../', import.meta.url))
const core = fileURLToPath(new URL('../../core/', import.meta.url))

let redis: RedisDeployment
let consumer: string
let node24: string

/** The newest modification time under `dir`. */
function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

beforeAll(async () => {
  for (const dir of [pkg, core]) {
    if (!existsSync(join(dir, 'dist', 'index.js'))) {
      throw new Error(
        `${dir}dist/index.js is missing: run \`pnpm build\` first (this test runs the built package)`,
      )
    }
  }
  if (newest(join(pkg, 'src')) > statSync(join(pkg, 'dist', 'index.js')).mtimeMs) {
    throw new Error('packages/adapters-keyv/dist is older than its src: run `pnpm build` first')
  }
  consumer = mkdtempSync(join(tmpdir(), 'rediskit-keyv6-'))
  const modules = join(consumer, 'node_modules')
  mkdirSync(join(modules, '@rediskit', 'keyv'), { recursive: true })
  cpSync(join(pkg, 'package.json'), join(modules, '@rediskit', 'keyv', 'package.json'))
  cpSync(join(pkg, 'dist'), join(modules, '@rediskit', 'keyv', 'dist'), { recursive: true })
  symlinkSync(core, join(modules, '@rediskit', 'core'))
  symlinkSync(realpathSync(join(pkg, 'node_modules', 'keyv6')), join(modules, 'keyv'))
  cpSync(join(pkg, 'test', 'fixtures', 'keyv6-contract.mjs'), join(consumer, 'contract.mjs'))

  const [deployment, execPath] = await Promise.all([
    startRedis(),
    run('npx', ['-y', 'node@24', '-p', 'process.execPath'], { timeout: 170_000 }).then(
      ({ stdout }) => stdout.trim(),
      (error: Error) => {
        throw new Error(
          `could not get Node 24 with \`npx -y node@24\` (needs the npm registry): ${error.message}`,
        )
      },
    ),
  ])
  redis = deployment
  node24 = execPath
}, 180_000)

afterAll(async () => {
  await redis?.stop()
  if (consumer) rmSync(consumer, { recursive: true, force: true })
})

it('keyv 6 on Node 24 drives the built adapter by the keyv 6 storage contract', async () => {
  const { stdout: version } = await run(node24, ['-p', 'process.versions.node'])
  expect(version.trim().split('.')[0]).toBe('24')
  const result = await run(node24, ['contract.mjs'], {
    cwd: consumer,
    env: { ...process.env, REDIS_URL: redis.url },
    timeout: 60_000,
  }).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`the keyv 6 contract failed on Node 24:\n${error.stderr ?? ''}${error.stdout ?? ''}`)
  })
  expect(JSON.parse(result.stdout)).toEqual({
    passed: [
      'keyv 6 is the keyv in use',
      'keyv 6 uses the adapter directly (no bridge): capabilities with expires: true',
      'the adapter prefixes keys with the namespace, once',
      'absolute expiries (epoch ms) become Redis expiries; a past one removes the key',
      'getMany / hasMany / deleteMany / setMany return arrays; misses are undefined',
      'iterator() takes no argument and yields unprefixed keys of its namespace',
      'clear() removes only its namespace',
      'createKeyv builds a keyv 6 instance; disconnect() closes the cache it created',
      'Redis down: Keyv 6 falls back and emits one error per call, none waits past the deadline',
    ],
  })
}, 90_000)
