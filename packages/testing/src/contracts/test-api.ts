/**
 * The few functions of a test framework a contract suite needs. vitest, jest and mocha (with
 * their globals) all fit, so does `import * as vitest from 'vitest'`:
 *
 * ```ts
 * import * as vitest from 'vitest'
 * import { storeContract } from '@rediskit/testing'
 * storeContract(vitest, 'MyStore', async () => ({ store: new MyStore() }))
 * ```
 *
 * Contract suites assert with `node:assert/strict`, so no `expect` is needed.
 */
export interface ContractTestApi {
  describe: (name: string, body: () => void) => unknown
  it: (name: string, body: () => Promise<void>, timeout?: number) => unknown
  beforeAll: (body: () => Promise<void>, timeout?: number) => unknown
  afterAll: (body: () => Promise<void>, timeout?: number) => unknown
}
