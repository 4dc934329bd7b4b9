/**
 * `pnpm bench`: runs every suite in src/suites (or the ones named on the command line) in one
 * process, one after another, and writes each suite's markdown table to bench/results/.
 */
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('./suites/', import.meta.url))
const wanted = process.argv.slice(2)
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort()

if (suites.length === 0) {
  console.error(wanted.length ? `no suite named ${wanted.join(', ')} in ${dir}` : `no suites in ${dir}`)
  process.exit(1)
}
for (const name of suites) {
  console.log(`\n=== bench: ${name}`)
  const mod = (await import(`./suites/${name}.ts`)) as { run(): Promise<void> }
  await mod.run()
}
