import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { trackProcess, untrackProcess } from './cleanup.js'
import { HarnessError } from './errors.js'

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * One spawned redis-server / redis-sentinel: cwd is its node dir, stdout and stderr go to
 * `outFile` (config errors are printed there before the log file opens), it is registered with the
 * cleanup registry until it exits, and it never keeps the Node process alive.
 */
export class ServerProcess {
  readonly pid: number
  readonly exited: Promise<ProcessExit>
  #exit: ProcessExit | undefined
  readonly #child: ChildProcess

  private constructor(child: ChildProcess, pid: number, exited: Promise<ProcessExit>) {
    this.#child = child
    this.pid = pid
    this.exited = exited
  }

  /** Spawns `bin args` in `cwd`. Throws if the binary cannot be started at all. */
  static async spawn(
    bin: string,
    args: readonly string[],
    cwd: string,
    outFile: string,
  ): Promise<ServerProcess> {
    const out = openSync(outFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(bin, [...args], { cwd, stdio: ['ignore', out, out], detached: false })
    } finally {
      closeSync(out)
    }
    const pid = child.pid
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve))
      throw new HarnessError('E_HARNESS_START', `could not start ${bin}: ${error.message}`, { cause: error })
    }
    trackProcess(pid, cwd)
    child.unref()
    let proc: ServerProcess | undefined
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        untrackProcess(pid)
        const exit = { code, signal }
        if (proc !== undefined) proc.#exit = exit
        resolve(exit)
      })
    })
    proc = new ServerProcess(child, pid, exited)
    return proc
  }

  /** `undefined` while running. */
  get exit(): ProcessExit | undefined {
    return this.#exit
  }

  get running(): boolean {
    return this.#exit === undefined
  }

  /** Sends `signal` if the process still runs. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return
    try {
      this.#child.kill(signal)
    } catch {
      // exited meanwhile
    }
  }

  /** SIGKILL, resolved once the process is gone (reaped). */
  async kill(): Promise<void> {
    this.signal('SIGKILL')
    await this.#waitExit()
  }

  /** The exit, keeping the event loop alive meanwhile (the child is otherwise unref'd). */
  async #waitExit(): Promise<ProcessExit> {
    if (this.running) this.#child.ref()
    return this.exited
  }

  /** SIGCONT + SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async terminate(graceMs: number): Promise<void> {
    if (!this.running) return
    this.signal('SIGCONT')
    this.signal('SIGTERM')
    const ac = new AbortController()
    const stopped = await Promise.race([
      this.#waitExit().then(() => true),
      delay(graceMs, false, { signal: ac.signal }).catch(() => false),
    ])
    ac.abort()
    if (!stopped) await this.kill()
  }
}
