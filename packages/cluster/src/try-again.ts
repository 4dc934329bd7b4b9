import type { RedisArg, RedisReply } from '@rediskit/core'

/**
 * Multi-key commands over a slot that is being migrated fail with TRYAGAIN while some of their keys
 * have moved and others not (Redis cannot serve them on either node). ioredis retries them, but the
 * condition lasts until the slot's last key has moved, which can outlast the deadline. These
 * commands have a per-key equivalent with the same result, whose single keys follow ASK
 * redirections to wherever they are now: once ioredis has given up, rediskit splits them.
 */
const SPLITTABLE: ReadonlyMap<string, 'values' | 'ok' | 'sum'> = new Map([
  ['mget', 'values'],
  ['mset', 'ok'],
  ['unlink', 'sum'],
  ['del', 'sum'],
  ['exists', 'sum'],
  ['touch', 'sum'],
])

/** The per-key command of each splittable command (the others are their own). */
const SINGLE: ReadonlyMap<string, string> = new Map([
  ['mget', 'get'],
  ['mset', 'set'],
])

/**
 * True when ioredis gave up on a command because of its slot: a TRYAGAIN reply, or a redirection
 * chain that ran out (during a migration ioredis retries a TRYAGAIN on a random node, which answers
 * MOVED, whose owner answers ASK, whose target answers TRYAGAIN again...).
 */
export function isSlotTrouble(error: unknown): boolean {
  return error instanceof Error && /\bTRYAGAIN\b|Too many Cluster redirections/.test(error.message)
}

/** True when the command can be split per key (and has more than one key to split). */
export function isSplittable(name: string, args: readonly RedisArg[]): boolean {
  const kind = SPLITTABLE.get(name)
  if (kind === undefined) return false
  return kind === 'ok' ? args.length > 2 : args.length > 1
}

/**
 * Runs a splittable multi-key command as one command per key through `send`, and combines the
 * replies as the multi-key command would have answered: MGET -> the values in order, MSET -> OK,
 * UNLINK/DEL/EXISTS/TOUCH -> the sum.
 */
export async function splitPerKey(
  name: string,
  args: readonly RedisArg[],
  send: (name: string, args: readonly RedisArg[]) => Promise<RedisReply | undefined>,
): Promise<RedisReply> {
  const kind = SPLITTABLE.get(name)
  const single = SINGLE.get(name) ?? name
  if (kind === 'ok') {
    const pairs: Promise<RedisReply | undefined>[] = []
    for (let i = 0; i + 1 < args.length; i += 2)
      pairs.push(send(single, [args[i] as RedisArg, args[i + 1] as RedisArg]))
    await Promise.all(pairs)
    return 'OK'
  }
  const replies = await Promise.all(args.map((key) => send(single, [key])))
  if (kind === 'values') return replies.map((reply) => reply ?? null)
  return replies.reduce<number>((sum, reply) => sum + Number(reply ?? 0), 0)
}
