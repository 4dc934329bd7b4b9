export type {
  CompressorCapabilities,
  CompressorFactory,
  CompressorFactoryOptions,
} from './contracts/compressor-contract.js'
export { compressorContract } from './contracts/compressor-contract.js'
export type { DriverFactory, DriverFactoryOptions } from './contracts/driver-contract.js'
export { driverContract } from './contracts/driver-contract.js'
export { eventually } from './contracts/eventually.js'
export type { SerializerCapabilities } from './contracts/serializer-contract.js'
export { serializerContract } from './contracts/serializer-contract.js'
export type { StoreCapabilities, StoreUnderTest } from './contracts/store-contract.js'
export { storeContract } from './contracts/store-contract.js'
export type { ContractTestApi } from './contracts/test-api.js'
export type { TopologyCapabilities, TopologyUnderTest } from './contracts/topology-contract.js'
export { topologyContract } from './contracts/topology-contract.js'
export { HarnessError, type HarnessErrorCode } from './harness/errors.js'
export { startRedis } from './harness/start-redis.js'
export type {
  RedisAclUser,
  RedisDeployment,
  RedisNode,
  RedisNodeRole,
  RedisTlsMaterial,
  RedisTopologyName,
  StartRedisOptions,
} from './harness/types.js'
