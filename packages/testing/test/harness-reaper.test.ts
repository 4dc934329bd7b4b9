/**
 * The cleanup guarantees across process boundaries: a child Node process starts servers through
 * the harness compiled to plain JavaScript (as the dist build ships it), then dies in various ways;
 * its servers, temp dirs and port locks must vanish anyway.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { processGone } from './harness-support.js'

const harnessSrc = fileURLToPath(new URL('../src/harness/', import.meta.url))
let build: string
const children: ChildProcess[] = []

interface Started {
  pids: number[]
  dirs: string[]
  locks: string[]
}

const CHILD = `
import { startRedis } from './harness/start-redis.js'
const mode = process.argv[2]
const redis = await startRedis({ topology: 'replicated', replicas: 1 })
const locks = redis.nodes.map((n) => ${JSON.stringify(join(tmpdir(), 'rediskit-harness-ports'))} + '/' + n.port + '.lock')
process.stdout.write(JSON.stringify({ pids: redis.nodes.map((n) => n.pid), dirs: redis.nodes.map((n) => n.dir), locks }) + '\\n')
if (mode === 'exit') process.exit(3)
if (mode === 'throw') setTimeout(() => { throw new Error('test failure nobody caught') }, 0)
setInterval(() => {}, 1000)
`

beforeAll(() => {
  build = mkdtempSync(join(tmpdir(), 'rediskit-testing-build-'))
  mkdirSync(join(build, 'harness'))
  for (const file of readdirSync(harnessSrc).filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(harnessSrc, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    })
    writeFileSync(join(build, 'harness', file.replace(/\.ts$/, '.js')), outputText)
  }
  writeFileSync(join(build, 'package.json'), '{"type":"module"}')
  writeFileSync(join(build, 'child.mjs'), CHILD)
})

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  if (build) rmSync(build, { recursive: true, force: true })
})

async function startChild(
  mode: 'kill' | 'term' | 'exit' | 'throw',
): Promise<{ child: ChildProcess; started: Started }> {
  const child = spawn(process.execPath, [join(build, 'child.mjs'), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const lines = createInterface({ input: child.stdout ?? process.stdin })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${signal ?? code}) before starting: ${stderr}`)),
    )
  })
  return { child, started: JSON.parse(first) as Started }
}

async function expectCleanedUp(started: Started): Promise<void> {
  expect(started.pids).toHaveLength(2)
  await vi.waitFor(
    () => {
      for (const pid of started.pids) expect(processGone(pid), `server pid ${pid}`).toBe(true)
      for (const dir of started.dirs) expect(existsSync(dir), dir).toBe(false)
      for (const lock of started.locks) expect(existsSync(lock), lock).toBe(false)
    },
    { timeout: 15_000, interval: 50 },
  )
}

describe('no server outlives the process that started it', () => {
  it('the reaper kills the servers of a process that was SIGKILLed', async () => {
    const { child, started } = await startChild('kill')
    for (const pid of started.pids) expect(processGone(pid)).toBe(false)
    child.kill('SIGKILL')
    await expectCleanedUp(started)
  })

  it('SIGTERM kills the servers before the process ends', async () => {
    const { child, started } = await startChild('term')
    const exit = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    )
    child.kill('SIGTERM')
    expect(await exit).toBe('SIGTERM')
    await expectCleanedUp(started)
  })

  it('process.exit() without stop() kills the servers', async () => {
    const { child, started } = await startChild('exit')
    await new Promise((resolve) => child.once('exit', resolve))
    await expectCleanedUp(started)
  })

  it('an uncaught error kills the servers', async () => {
    const { started } = await startChild('throw')
    await expectCleanedUp(started)
  })
})
