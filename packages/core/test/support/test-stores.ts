import type { Store, StoreScanOptions, StoreSetOptions } from '../../src/types.js'

/**
 * Test doubles of a Store (not of Redis): one whose every call fails, and one that never answers
 * (or answers only when the test says so).
 */

/** Every call rejects with `makeError()` (a plain Error by default); `scan` fails on its first step. */
export class FailingStore implements Store {
  readonly kind = 'failing'
  readonly client = { fake: 'client' }
  calls = 0
  closed = 0
  readonly #makeError: () => unknown

  constructor(makeError: () => unknown = () => new Error('connect ECONNREFUSED 127.0.0.1:1')) {
    this.#makeError = makeError
  }

  #fail(): Promise<never> {
    this.calls++
    return Promise.reject(this.#makeError())
  }

  get(_key: string): Promise<Buffer | undefined> {
    return this.#fail()
  }
  getMany(_keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.#fail()
  }
  set(_key: string, _value: Buffer, _options?: StoreSetOptions): Promise<boolean> {
    return this.#fail()
  }
  setMany(_entries: readonly (readonly [string, Buffer])[], _ttl?: number): Promise<void> {
    return this.#fail()
  }
  delete(_key: string): Promise<boolean> {
    return this.#fail()
  }
  deleteMany(_keys: readonly string[]): Promise<number> {
    return this.#fail()
  }
  has(_key: string): Promise<boolean> {
    return this.#fail()
  }
  ttl(_key: string): Promise<number | null | undefined> {
    return this.#fail()
  }
  expire(_key: string, _ttl: number): Promise<boolean> {
    return this.#fail()
  }
  expireAt(_key: string, _timestamp: number): Promise<boolean> {
    return this.#fail()
  }
  persist(_key: string): Promise<boolean> {
    return this.#fail()
  }
  incr(_key: string, _by: number): Promise<number> {
    return this.#fail()
  }
  async *scan(_pattern: string, _options?: StoreScanOptions): AsyncIterable<string[]> {
    yield* [] as string[][]
    await this.#fail()
  }
  flush(): Promise<void> {
    return this.#fail()
  }
  acquireLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return this.#fail()
  }
  releaseLease(_key: string, _token: string): Promise<boolean> {
    return this.#fail()
  }
  extendLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return this.#fail()
  }
  async close(): Promise<void> {
    this.closed++
  }
}

interface Pending {
  method: string
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * A frozen store: calls never settle on their own. `pending` lists them so a test can settle them
 * late (after the cache's deadline) and prove nothing leaks as an unhandled rejection.
 */
export class HangingStore implements Store {
  readonly kind = 'hanging'
  readonly pending: Pending[] = []
  closed = 0

  #hang<T>(method: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ method, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  /** Rejects every pending call (as a store that finally notices its connection died). */
  rejectAll(error: unknown): void {
    for (const call of this.pending.splice(0)) call.reject(error)
  }

  get(_key: string): Promise<Buffer | undefined> {
    return this.#hang('get')
  }
  getMany(_keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.#hang('getMany')
  }
  set(_key: string, _value: Buffer, _options?: StoreSetOptions): Promise<boolean> {
    return this.#hang('set')
  }
  setMany(_entries: readonly (readonly [string, Buffer])[], _ttl?: number): Promise<void> {
    return this.#hang('setMany')
  }
  delete(_key: string): Promise<boolean> {
    return this.#hang('delete')
  }
  deleteMany(_keys: readonly string[]): Promise<number> {
    return this.#hang('deleteMany')
  }
  has(_key: string): Promise<boolean> {
    return this.#hang('has')
  }
  ttl(_key: string): Promise<number | null | undefined> {
    return this.#hang('ttl')
  }
  expire(_key: string, _ttl: number): Promise<boolean> {
    return this.#hang('expire')
  }
  expireAt(_key: string, _timestamp: number): Promise<boolean> {
    return this.#hang('expireAt')
  }
  persist(_key: string): Promise<boolean> {
    return this.#hang('persist')
  }
  incr(_key: string, _by: number): Promise<number> {
    return this.#hang('incr')
  }
  scan(_pattern: string, _options?: StoreScanOptions): AsyncIterable<string[]> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.#hang<IteratorResult<string[]>>('scan'),
      }),
    }
  }
  flush(): Promise<void> {
    return this.#hang('flush')
  }
  acquireLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return this.#hang('acquireLease')
  }
  releaseLease(_key: string, _token: string): Promise<boolean> {
    return this.#hang('releaseLease')
  }
  extendLease(_key: string, _token: string, _ttl: number): Promise<boolean> {
    return this.#hang('extendLease')
  }
  async close(): Promise<void> {
    this.closed++
  }
}
