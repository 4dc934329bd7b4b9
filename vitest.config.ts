import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests run on sources: each workspace package name resolves to its src/ entry, so no build is
// needed before `vitest` (the packaging project checks the built output separately).
const root = fileURLToPath(new URL('.', import.meta.url))
const folders = readdirSync(`${root}packages`)
const alias: { find: string | RegExp; replacement: string }[] = [
  { find: /^@rediskit\/parser\/compat$/, replacement: `${root}packages/parser/src/compat.ts` },
]
for (const folder of folders) {
  const { name } = JSON.parse(readFileSync(`${root}packages/${folder}/package.json`, 'utf8')) as {
    name: string
  }
  alias.push({
    find: new RegExp(`^${name.replace('/', '\\/')}$`),
    replacement: `${root}packages/${folder}/src/index.ts`,
  })
}

const ci = process.env.CI === 'true' || process.env.CI === '1'

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ci ? ['default', ['json', { outputFile: `${root}.tmp/vitest-report.json` }]] : ['default'],
    projects: [
      ...folders.map((folder) => ({
        extends: true as const,
        test: {
          name: folder,
          root: `${root}packages/${folder}`,
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      })),
      {
        extends: true as const,
        test: {
          name: 'packaging',
          root: `${root}test/packaging`,
          include: ['**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
