import assert from 'node:assert/strict'
import { isRediskitError, type RediskitError } from '@rediskit/core'

/** The rejection of `promise`, asserted to be a RediskitError. */
export async function failure(promise: Promise<unknown>): Promise<RediskitError> {
  try {
    await promise
  } catch (error) {
    assert.ok(isRediskitError(error), `expected a RediskitError, got ${String(error)}`)
    return error as RediskitError
  }
  throw new Error('expected a rejection')
}
