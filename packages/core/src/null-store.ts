import type { Store, StoreScanOptions, StoreSetOptions } from './types.js'

/**
 * The dummy store (Django's DummyCache), for tests and for switching caching off: writes succeed
 * and are forgotten, reads miss.
 *
 * `set`/`setMany` report success (`true`), `get` misses, `has` is false, `ttl` is `undefined`,
 * `delete`/`expire`/`persist` are false (nothing exists), `deleteMany` is 0, `incr` returns `by`
 * (as on a fresh counter that is then forgotten), `scan` yields nothing, and leases are always
 * granted, released and extended, so `getOrSet` simply calls the factory.
 */
export class NullStore implements Store {
  readonly kind = 'null'

  async get(_key: string): Promise<Buffer | undefined> {
    return undefined
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return new Array<Buffer | undefined>(keys.length).fill(undefined)
  }

  async set(_key: string, _value: Buffer, _options?: StoreSetOptions): Promise<boolean> {
    return true
  }

  async setMany(_entries: readonly (readonly [string, Buffer])[], _ttl?: number): Promise<void> {}

  async delete(_key: string): Promise<boolean> {
    return false
  }

  async deleteMany(_keys: readonly string[]): Promise<number> {
    return 0
  }

  async has(_key: string): Promise<boolean> {
    return false
  }

  async ttl(_key: string): Promise<number | null | undefined> {
    return undefined
  }

  async expire(_key: string, _ttl: number): Promise<boolean> {
    return false
  }

  async expireAt(_key: string, _timestamp: number): Promise<boolean> {
    return false
  }

  async persist(_key: string): Promise<boolean> {
    return false
  }

  async incr(_key: string, by: number): Promise<number> {
    return by
  }

  /** Yields nothing: the null store holds no keys. */
  async *scan(_pattern: string, _options?: StoreScanOptions): AsyncIterable<string[]> {}

  async flush(): Promise<void> {}

  async acquireLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return true
  }

  async releaseLease(_key: string, _token: string): Promise<boolean> {
    return true
  }

  async extendLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return true
  }

  async close(): Promise<void> {}
}
