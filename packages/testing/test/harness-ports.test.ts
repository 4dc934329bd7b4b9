import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { lockFile, lockPort, reservePort } from '../src/harness/ports.js'

/** A pid that certainly ran and exited (and was reaped) a moment ago. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', ''])
  if (pid === undefined) throw new Error('could not spawn node')
  return pid
}

describe('port reservation', () => {
  it('concurrent reservations never share a port, and each lock names its owner', async () => {
    const leases = await Promise.all(Array.from({ length: 40 }, () => reservePort({ bus: true })))
    try {
      expect(new Set(leases.map((l) => l.port)).size).toBe(40)
      for (const { port } of leases) {
        expect(port).toBeGreaterThanOrEqual(12000)
        expect(port).toBeLessThan(22000)
        expect(readFileSync(lockFile(port), 'utf8').trim()).toBe(String(process.pid))
      }
    } finally {
      for (const lease of leases) lease.release()
    }
    for (const { port } of leases) expect(existsSync(lockFile(port))).toBe(false)
  })

  it('a reserved port is bindable on 127.0.0.1', async () => {
    const lease = await reservePort()
    try {
      await new Promise<void>((resolve, reject) => {
        const server = createServer()
        server.once('error', reject)
        server.listen({ host: '127.0.0.1', port: lease.port, exclusive: true }, () =>
          server.close(() => resolve()),
        )
      })
    } finally {
      lease.release()
    }
  })

  it('takes over a stale lock whose owner is dead, and respects a live one', async () => {
    const lease = await reservePort()
    const { port } = lease
    lease.release()
    writeFileSync(lockFile(port), `${deadPid()}\n`)
    const taken = lockPort(port)
    expect(taken).toBeDefined()
    expect(readFileSync(lockFile(port), 'utf8').trim()).toBe(String(process.pid))
    // now held by a live process (this one): nobody else gets it
    expect(lockPort(port)).toBeUndefined()
    taken?.release()
    taken?.release()
    expect(existsSync(lockFile(port))).toBe(false)
  })
})
