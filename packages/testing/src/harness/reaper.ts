import { type ChildProcess, spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { REAPER_SOURCE } from './reaper-script.js'

/** A message to the reaper (see `reaper-script.ts`). */
export type ReaperMessage =
  | { readonly op: 'pid'; readonly pid: number; readonly dir: string }
  | { readonly op: 'unpid'; readonly pid: number }
  | { readonly op: 'dir' | 'undir' | 'file' | 'unfile'; readonly path: string }

/**
 * The link to this process's reaper: spawned on first use, detached (its own session, so Ctrl-C
 * and a kill of the runner's process group do not reach it) and unref'd (it never keeps this
 * process alive). If it dies, the next message spawns a new one and `replay()` re-sends the
 * current registrations.
 */
export class ReaperLink {
  #child: ChildProcess | undefined
  #unavailable = false
  readonly #replay: () => readonly ReaperMessage[]

  constructor(replay: () => readonly ReaperMessage[]) {
    this.#replay = replay
  }

  /** Sends `message`, spawning the reaper first if needed (best effort: never throws). */
  send(message: ReaperMessage): void {
    const child = this.#ensure()
    if (child === undefined) return
    this.#write(child, message)
  }

  /** Process id of the reaper, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  #write(child: ChildProcess, message: ReaperMessage): void {
    const stdin = child.stdin
    if (stdin === null || stdin.destroyed) return
    stdin.write(`${JSON.stringify(message)}\n`)
  }

  #ensure(): ChildProcess | undefined {
    if (this.#child !== undefined || this.#unavailable) return this.#child
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.NODE_OPTIONS
    let child: ChildProcess
    try {
      child = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid)], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        cwd: tmpdir(),
        env,
      })
    } catch {
      this.#unavailable = true
      return undefined
    }
    child.on('error', () => {
      if (this.#child === child) this.#child = undefined
      this.#unavailable = true
    })
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined
    })
    child.stdin?.on('error', () => {})
    child.unref()
    const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
    stdin?.unref?.()
    this.#child = child
    for (const message of this.#replay()) this.#write(child, message)
    return child
  }
}
