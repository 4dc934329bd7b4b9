import { rmSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'
import { ReaperLink, type ReaperMessage } from './reaper.js'

/**
 * The process-wide registry behind the harness's promise that no server outlives the test run:
 *
 * 1. `stop()` of each deployment (the normal path);
 * 2. on `process.on('exit')` (test failure, unhandled error, `process.exit()`), every registered
 *    server is SIGKILLed synchronously and its dir removed;
 * 3. on SIGINT / SIGTERM / SIGHUP the same, then the signal's default action (unless someone else
 *    handles that signal);
 * 4. a detached reaper process (see `reaper-script.ts`) does the same when this process vanishes
 *    without running any of that (SIGKILL, crash, OOM killer).
 */

const pids = new Map<number, string>()
const dirs = new Set<string>()
const files = new Set<string>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

const reaper = new ReaperLink(() => [
  ...[...dirs].map((path): ReaperMessage => ({ op: 'dir', path })),
  ...[...files].map((path): ReaperMessage => ({ op: 'file', path })),
  ...[...pids].map(([pid, dir]): ReaperMessage => ({ op: 'pid', pid, dir })),
])

let exitHooked = false
let signalsHooked = false

function hook(): void {
  if (!exitHooked) {
    exitHooked = true
    process.on('exit', cleanupNow)
  }
  if (!signalsHooked && isMainThread) {
    signalsHooked = true
    for (const signal of SIGNALS) process.on(signal, onSignal)
  }
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupNow()
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  signalsHooked = false
  // Nobody else handles it: behave as if we had not been there (terminate by that signal).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

/** SIGKILLs every registered server and removes every registered dir and file, synchronously. */
export function cleanupNow(): void {
  for (const pid of pids.keys()) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  pids.clear()
  for (const path of [...dirs, ...files]) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 2 })
    } catch {
      // the reaper tries again
    }
  }
  dirs.clear()
  files.clear()
}

/** A server process was started with `dir` as cwd. */
export function trackProcess(pid: number, dir: string): void {
  hook()
  pids.set(pid, dir)
  reaper.send({ op: 'pid', pid, dir })
}

export function untrackProcess(pid: number): void {
  if (!pids.delete(pid)) return
  reaper.send({ op: 'unpid', pid })
}

/** A temp dir to remove if the process dies without `stop()`. */
export function trackDir(path: string): void {
  hook()
  dirs.add(path)
  reaper.send({ op: 'dir', path })
}

export function untrackDir(path: string): void {
  if (!dirs.delete(path)) return
  reaper.send({ op: 'undir', path })
}

/** A file (port lock) to remove if the process dies without `stop()`. */
export function trackFile(path: string): void {
  hook()
  files.add(path)
  reaper.send({ op: 'file', path })
}

export function untrackFile(path: string): void {
  if (!files.delete(path)) return
  reaper.send({ op: 'unfile', path })
}

/** Pid of this process's reaper, if it was started (for tests and diagnostics). */
export function reaperPid(): number | undefined {
  return reaper.pid
}
