import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trackFile, untrackFile } from './cleanup.js'
import { HarnessError } from './errors.js'

/**
 * Free ports that never collide between parallel vitest workers, or between developers on one
 * machine: a port is ours once we created `<tmpdir>/rediskit-harness-ports/<port>.lock`
 * exclusively (O_EXCL) and found it bindable on 127.0.0.1. Ports are drawn from 12000-21999, below
 * the kernel's ephemeral range, so outgoing connections never take them; a cluster node's bus port
 * (port + 10000, 22000-31999) is checked too and is unique because its base port is locked.
 * A lock whose owner pid is dead is stale and removed.
 */

const LOCK_DIR = join(tmpdir(), 'rediskit-harness-ports')
const FIRST = 12000
const COUNT = 10000
const BUS_OFFSET = 10000
const ATTEMPTS = 300

/** A reserved port; `release()` removes the lock (idempotent). */
export interface PortLease {
  readonly port: number
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function lockOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Creates the lock file exclusively; `false` when it exists. */
function createLock(path: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o644)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, `${process.pid}\n`)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Removes `path` if its owner is dead. The file is first renamed to a private name (atomic, so
 * only one remover wins); if what we renamed turns out to be a live lock taken meanwhile, it is
 * put back.
 */
function removeIfStale(path: string): void {
  const owner = lockOwner(path)
  if (owner === undefined || alive(owner)) {
    // An unreadable lock may be half-written by its creator right now: leave it.
    return
  }
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.stale`
  try {
    renameSync(path, aside)
  } catch {
    return
  }
  const moved = lockOwner(aside)
  if (moved !== undefined && moved !== owner && alive(moved)) {
    try {
      renameSync(aside, path)
    } catch {
      // cannot happen on one filesystem; the lock's owner keeps its port anyway
    }
    return
  }
  rmSync(aside, { force: true })
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(true))
    })
  })
}

/** The lock file of `port`. */
export function lockFile(port: number): string {
  return join(LOCK_DIR, `${port}.lock`)
}

/**
 * Takes the lock of `port` (removing a stale one first), or `undefined` when another live process
 * holds it. Does not check that the port is bindable.
 */
export function lockPort(port: number): PortLease | undefined {
  mkdirSync(LOCK_DIR, { recursive: true })
  const path = lockFile(port)
  if (!createLock(path)) {
    removeIfStale(path)
    if (!createLock(path)) return undefined
  }
  trackFile(path)
  let released = false
  return {
    port,
    release() {
      if (released) return
      released = true
      untrackFile(path)
      rmSync(path, { force: true })
    },
  }
}

/** Reserves a free port on 127.0.0.1 (and its cluster bus port when `bus`). */
export async function reservePort(options: { bus?: boolean } = {}): Promise<PortLease> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const lease = lockPort(FIRST + Math.floor(Math.random() * COUNT))
    if (lease === undefined) continue
    const { port } = lease
    if ((await bindable(port)) && (!options.bus || (await bindable(port + BUS_OFFSET)))) return lease
    lease.release()
  }
  throw new HarnessError(
    'E_HARNESS_START',
    `no free port found in ${ATTEMPTS} attempts in ${FIRST}-${FIRST + COUNT - 1} (locks in ${LOCK_DIR})`,
  )
}
