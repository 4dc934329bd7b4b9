/**
 * Source of the reaper: a tiny detached Node process (run with `node -e`, so it works the same
 * from the TypeScript sources and from the built dist) that outlives the process using the
 * harness. It reads JSON lines on stdin from its parent:
 *
 *   {"op":"pid","pid":123,"dir":"/tmp/rediskit-harness-x"}   a server started (cwd = dir)
 *   {"op":"unpid","pid":123}                                 it exited
 *   {"op":"dir","path":"..."} / {"op":"undir","path":"..."}  temp dirs to remove
 *   {"op":"file","path":"..."} / {"op":"unfile","path":"..."} port lock files to remove
 *
 * When the parent disappears (stdin reaches EOF, or polling finds the parent pid gone / the reaper
 * re-parented) it SIGKILLs every registered server whose cwd is still its registered dir (so a
 * reused pid is never touched), waits for them to die (a zombie counts as dead: the orphans' new
 * parent, pid 1, reaps it), removes the dirs and files, and exits.
 * argv[1] is the parent pid.
 */
export const REAPER_SOURCE = String.raw`
'use strict'
const fs = require('node:fs')
const cp = require('node:child_process')
const parent = Number(process.argv[1])
const pids = new Map()
const dirs = new Set()
const files = new Set()
let pending = ''
let reaping = false

function alive(pid) {
  try { process.kill(pid, 0) } catch (e) { return e.code === 'EPERM' }
  if (process.platform !== 'linux') return true
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch { return false }
}

function owned(pid, dir) {
  if (process.platform === 'linux') {
    try {
      const cwd = fs.readlinkSync('/proc/' + pid + '/cwd')
      return cwd === dir || cwd === dir + ' (deleted)'
    } catch { return false }
  }
  try {
    const out = cp.execFileSync('lsof', ['-a', '-p', String(pid), '-d', 'cwd', '-Fn'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000,
    })
    return out.split('\n').some((l) => l === 'n' + dir)
  } catch { return false }
}

function handle(line) {
  let m
  try { m = JSON.parse(line) } catch { return }
  if (m.op === 'pid') pids.set(m.pid, m.dir)
  else if (m.op === 'unpid') pids.delete(m.pid)
  else if (m.op === 'dir') dirs.add(m.path)
  else if (m.op === 'undir') dirs.delete(m.path)
  else if (m.op === 'file') files.add(m.path)
  else if (m.op === 'unfile') files.delete(m.path)
}

function reap() {
  if (reaping) return
  reaping = true
  const victims = []
  for (const [pid, dir] of pids) {
    if (!owned(pid, dir)) continue
    try { process.kill(pid, 'SIGKILL'); victims.push(pid) } catch {}
  }
  const until = Date.now() + 5000
  const finish = () => {
    if (victims.some(alive) && Date.now() < until) { setTimeout(finish, 25); return }
    for (const d of dirs) { try { fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 }) } catch {} }
    for (const f of files) { try { fs.rmSync(f, { force: true }) } catch {} }
    process.exit(0)
  }
  finish()
}

process.on('SIGINT', () => {})
process.on('SIGHUP', () => {})
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  pending += chunk
  let nl
  while ((nl = pending.indexOf('\n')) >= 0) {
    handle(pending.slice(0, nl))
    pending = pending.slice(nl + 1)
  }
})
process.stdin.on('end', reap)
process.stdin.on('close', reap)
process.stdin.on('error', reap)
setInterval(() => { if (process.ppid !== parent || !alive(parent)) reap() }, 250)
`
