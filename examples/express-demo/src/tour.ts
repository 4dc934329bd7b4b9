import { request } from 'node:http'

/** One scripted request of the tour and what the cache should answer. */
interface Step {
  method: string
  path: string
  expect: 'MISS' | 'HIT' | '-'
  note: string
}

const STEPS: readonly Step[] = [
  { method: 'GET', path: '/catalog', expect: 'MISS', note: 'first request: the slow handler runs' },
  { method: 'GET', path: '/catalog', expect: 'HIT', note: 'served from the cache' },
  { method: 'GET', path: '/catalog', expect: 'HIT', note: '' },
  { method: 'GET', path: '/catalog/2', expect: 'MISS', note: '' },
  { method: 'GET', path: '/catalog/2', expect: 'HIT', note: '' },
  {
    method: 'PUT',
    path: '/catalog/2?price=99',
    expect: '-',
    note: 'price change: invalidates tag product:2',
  },
  { method: 'GET', path: '/catalog/2', expect: 'MISS', note: 'invalidated: computed again' },
  { method: 'GET', path: '/catalog', expect: 'MISS', note: 'the list carries product:2 too' },
  { method: 'GET', path: '/catalog', expect: 'HIT', note: '' },
  { method: 'GET', path: '/catalog/1', expect: 'MISS', note: '' },
  { method: 'GET', path: '/catalog/1', expect: 'HIT', note: 'untouched by the product:2 change' },
]

/** A finished request: status, X-Cache, and the time it took. */
interface Row {
  step: Step
  status: number
  xCache: string
  ms: number
}

function send(base: string, method: string, path: string): Promise<{ status: number; xCache: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, agent: false }, (res) => {
      res.resume()
      res.on('end', () => {
        const header = res.headers['x-cache']
        resolve({ status: res.statusCode ?? 0, xCache: typeof header === 'string' ? header : '-' })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Sends the scripted requests to the running app and prints the table; false when an answer was not the expected one. */
export async function runTour(base: string, print: (line: string) => void): Promise<boolean> {
  const rows: Row[] = []
  for (const step of STEPS) {
    const started = performance.now()
    const { status, xCache } = await send(base, step.method, step.path)
    rows.push({ step, status, xCache, ms: performance.now() - started })
  }
  const width = Math.max(...STEPS.map((s) => `${s.method} ${s.path}`.length))
  print(`  #  ${'request'.padEnd(width)}  status  X-Cache      time`)
  print(`  -  ${'-'.repeat(width)}  ------  -------  --------`)
  let ok = true
  rows.forEach((row, i) => {
    const request = `${row.step.method} ${row.step.path}`.padEnd(width)
    const time = `${row.ms.toFixed(row.ms < 10 ? 1 : 0)} ms`.padStart(8)
    const expected = row.step.expect === '-' || row.xCache === row.step.expect
    if (!expected || row.status >= 400) ok = false
    const note = expected ? row.step.note : `UNEXPECTED: wanted ${row.step.expect}`
    print(
      `${String(i + 1).padStart(3)}  ${request}  ${String(row.status).padStart(6)}  ${row.xCache.padEnd(7)}  ${time}  ${note}`.trimEnd(),
    )
  })
  const count = (status: string): number => rows.filter((row) => row.xCache === status).length
  const hits = rows.filter((row) => row.xCache === 'HIT')
  const misses = rows.filter((row) => row.xCache === 'MISS')
  const mean = (list: Row[]): string => (list.reduce((sum, row) => sum + row.ms, 0) / list.length).toFixed(1)
  print('')
  print(`${count('HIT')} hits (mean ${mean(hits)} ms), ${count('MISS')} misses (mean ${mean(misses)} ms)`)
  return ok
}
