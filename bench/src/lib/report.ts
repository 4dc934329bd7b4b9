import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Measurement } from './measure.js'

export interface Table {
  title: string
  /** The contender every ratio is relative to (its ratio is 1.00). */
  baseline: string
  rows: Measurement[]
  notes?: string[]
}

const resultsDir = fileURLToPath(new URL('../../results/', import.meta.url))

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

/** Renders a table as markdown: ops/s, ratio to the baseline, extra columns. */
export function renderTable(table: Table): string {
  const base = table.rows.find((r) => r.name === table.baseline)
  const extraCols = [...new Set(table.rows.flatMap((r) => Object.keys(r.extra ?? {})))]
  const head = ['contender', 'ops/s', `x ${table.baseline}`, ...extraCols]
  const lines = [`### ${table.title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of table.rows) {
    const ratio = base ? (r.opsPerSec / base.opsPerSec).toFixed(2) : 'n/a'
    const extras = extraCols.map((c) => String(r.extra?.[c] ?? ''))
    lines.push(`| ${[r.name, fmt(r.opsPerSec), ratio, ...extras].join(' | ')} |`)
  }
  for (const n of table.notes ?? []) lines.push('', n)
  return `${lines.join('\n')}\n`
}

/** Prints the tables and writes them to bench/results/<file>.md with the machine's description. */
export function writeReport(file: string, heading: string, tables: Table[]): string {
  const body = tables.map(renderTable).join('\n')
  const machine = `Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString().slice(0, 10)}`
  const text = `## ${heading}\n\n${machine}\n\n${body}`
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(`${resultsDir}${file}.md`, text)
  console.log(`\n${text}`)
  return text
}
