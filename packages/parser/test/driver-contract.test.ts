import { ioredisDriver } from '@rediskit/core'
import { driverContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { nativeDriver } from '../src/index.js'

// The same suite over both drivers proves they behave the same: a Cache can switch between them.
driverContract(vitest, 'nativeDriver (RESP3)', (location, options) => nativeDriver(location, options))
driverContract(vitest, 'nativeDriver (RESP2)', (location, options) =>
  nativeDriver(location, { ...options, protocol: 2 }),
)
driverContract(vitest, "core's ioredisDriver", (location, options) => ioredisDriver(location, options))
