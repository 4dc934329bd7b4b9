export type { RedisParserOptions } from './redis-parser-compat.js'
export {
  ParserError,
  RedisError,
  RedisParser,
  RedisParser as default,
  // `require('@rediskit/parser/compat')` returns the class itself, as `require('redis-parser')` does.
  RedisParser as 'module.exports',
  ReplyError,
  usesRedisErrorsPackage,
} from './redis-parser-compat.js'
