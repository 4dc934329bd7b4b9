import { Redis } from 'ioredis'

/**
 * The server's own count of calls per command (INFO commandstats), to see what a client sent.
 * `reset()` zeroes them (CONFIG RESETSTAT).
 */
export class CommandStats {
  readonly #client: Redis

  constructor(url: string) {
    this.#client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  }

  async reset(): Promise<void> {
    await this.#client.config('RESETSTAT')
  }

  /** Calls per lower-case command name since the last reset (the INFO call itself excluded). */
  async calls(): Promise<Record<string, number>> {
    const info = await this.#client.info('commandstats')
    const out: Record<string, number> = {}
    for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
      out[match[1] as string] = Number(match[2])
    }
    if (out.info !== undefined) out.info -= 1
    return out
  }

  close(): void {
    this.#client.disconnect()
  }
}
