// The third-party serializer of the README, proving itself with the contract in three lines.
import { RediskitError, type Serializer } from '@rediskit/core'

/** Standard JSON with rediskit's error codes: the smallest complete serializer. */
function myJson(): Serializer {
  return {
    name: 'my-json',
    serialize(value) {
      let text: string | undefined
      try {
        text = JSON.stringify(value)
      } catch (cause) {
        throw new RediskitError('E_ENCODE', 'my-json cannot store this value', { cause })
      }
      if (text === undefined) throw new RediskitError('E_ENCODE', 'my-json cannot store this value')
      return text
    },
    deserialize(data) {
      try {
        return JSON.parse(data.toString('utf8'))
      } catch (cause) {
        throw new RediskitError('E_DECODE', 'my-json cannot parse the stored bytes', { cause })
      }
    },
  }
}

import { serializerContract } from '@rediskit/testing'
import * as vitest from 'vitest'

serializerContract(vitest, () => myJson())
