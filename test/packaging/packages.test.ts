/**
 * The published shape of every package, checked on the BUILT output (run `pnpm build` first;
 * `npm test` does): a consumer on Node 20 and on Node 24 can both `import` and `require` each
 * package and gets the same exports either way, and publint finds nothing to complain about.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))

interface Pkg {
  folder: string
  name: string
  entries: string[]
}

const pkgs: Pkg[] = readdirSync(join(root, 'packages')).map((folder) => {
  const json = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, unknown>
  }
  const entries = Object.keys(json.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? json.name : `${json.name}/${k.slice(2)}`))
  return { folder, name: json.name, entries }
})

/** Names each entry must export (the public contract of DESIGN.md, as far as it is built). */
const required: Record<string, string[]> = {
  '@rediskit/core': ['RediskitError', 'isRediskitError'],
}

let consumer: string
let node24: string

/** Prints a JSON list of the entry's export names, loaded with require() or import(). */
function probe(entry: string, mode: 'require' | 'import'): string {
  return mode === 'require'
    ? `const m = require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== '__esModule' && k !== 'module.exports').sort()))`
    : `import(${JSON.stringify(entry)}).then((m) => console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort())))`
}

async function exportsOf(node: string, entry: string, mode: 'require' | 'import'): Promise<string[]> {
  const { stdout, stderr } = await run(node, ['-e', probe(entry, mode)], { cwd: consumer, timeout: 60_000 })
  expect(stderr, `${entry} via ${mode} on ${node} wrote to stderr`).toBe('')
  return JSON.parse(stdout) as string[]
}

beforeAll(async () => {
  for (const p of pkgs) {
    if (!existsSync(join(root, 'packages', p.folder, 'dist', 'index.js'))) {
      throw new Error(
        `${p.name} is not built (packages/${p.folder}/dist/index.js is missing): run \`pnpm build\` first`,
      )
    }
  }
  // A consumer project whose node_modules links each package the way an install would.
  consumer = mkdtempSync(join(tmpdir(), 'rediskit-consumer-'))
  mkdirSync(join(consumer, 'node_modules', '@rediskit'), { recursive: true })
  for (const p of pkgs) symlinkSync(join(root, 'packages', p.folder), join(consumer, 'node_modules', p.name))
  // Node 24 from the npm registry (the `node` package), cached by npx after the first run.
  const { stdout } = await run('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
    timeout: 170_000,
  }).catch((err: Error) => {
    throw new Error(`could not get Node 24 with \`npx -y node@24\` (needs the npm registry): ${err.message}`)
  })
  node24 = stdout.trim()
})

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true })
})

describe.each(pkgs.flatMap((p) => p.entries.map((entry) => ({ entry, name: p.name }))))(
  '$entry',
  ({ entry }) => {
    it.each(['node20', 'node24'] as const)(
      'import and require give the same exports on %s',
      async (which) => {
        const node = which === 'node20' ? process.execPath : node24
        const version = (await run(node, ['-p', 'process.versions.node'])).stdout.trim()
        expect(version.split('.')[0]).toBe(which === 'node20' ? '20' : '24')
        const viaImport = await exportsOf(node, entry, 'import')
        const viaRequire = await exportsOf(node, entry, 'require')
        expect(viaRequire).toEqual(viaImport)
        expect(viaImport).toEqual(expect.arrayContaining(required[entry] ?? []))
      },
    )
  },
)

describe.each(pkgs)('publint $name', ({ folder }) => {
  it('reports nothing, strict', async () => {
    const pkgDir = join(root, 'packages', folder)
    const { messages, pkg } = await publint({ pkgDir, strict: true, level: 'suggestion', pack: 'npm' })
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([])
  })
})
