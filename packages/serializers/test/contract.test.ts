import { serializerContract } from '@rediskit/testing'
import * as vitest from 'vitest'
import { json, msgpack, raw, v8 } from '../src/index.js'

const rich = { richTypes: true, nonFiniteNumbers: true, negativeZero: true, undefined: true } as const

serializerContract(vitest, () => json(), rich)
serializerContract(vitest, () => json({ plain: true }))
serializerContract(vitest, () => msgpack(), rich)
serializerContract(vitest, () => msgpack({ records: false }), rich)
serializerContract(vitest, () => v8(), { ...rich, circular: true })
serializerContract(vitest, () => raw(), { raw: 'buffer' })
serializerContract(vitest, () => raw({ as: 'string' }), { raw: 'string' })
