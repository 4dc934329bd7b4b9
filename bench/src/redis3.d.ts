/** The callback-style `redis` v3 client (aliased as `redis3`), only as far as the express suite uses it. */
declare module 'redis3' {
  export interface RedisClient {
    readonly connected: boolean
    once(event: 'ready', listener: () => void): this
    quit(): void
  }
  export function createClient(options: { url: string }): RedisClient
}
