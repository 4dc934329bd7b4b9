import { inspectSymbol } from './redact.js'
import type { Driver, KeyGroup, Topology } from './types.js'

/** Options of {@link StandaloneTopology}. */
export interface StandaloneOptions {
  /** Close the driver when the topology closes. Default `true`. */
  ownsDriver?: boolean | undefined
}

/** One Redis server: every key, read or write, goes to the one driver. */
export class StandaloneTopology implements Topology {
  readonly kind: string = 'standalone'
  readonly #driver: Driver
  readonly #primaries: readonly Driver[]
  readonly #owns: boolean
  #closing: Promise<void> | undefined

  constructor(driver: Driver, options: StandaloneOptions = {}) {
    this.#driver = driver
    this.#primaries = Object.freeze([driver])
    this.#owns = options.ownsDriver ?? true
  }

  /** The driver's client (the ioredis instance for an ioredis driver). */
  get client(): unknown {
    return this.#driver.client
  }

  nodeFor(_key: string, _intent: 'read' | 'write'): Driver {
    return this.#driver
  }

  group(keys: readonly string[], _intent: 'read' | 'write'): KeyGroup[] {
    if (keys.length === 0) return []
    return [{ driver: this.#driver, indexes: Array.from(keys, (_, index) => index) }]
  }

  primaries(): readonly Driver[] {
    return this.#primaries
  }

  close(): Promise<void> {
    this.#closing ??= this.#owns ? this.#driver.close() : Promise.resolve()
    return this.#closing
  }

  [inspectSymbol](): string {
    return `StandaloneTopology { node: '${this.#driver.id}' }`
  }
}
