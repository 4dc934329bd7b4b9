import { readFileSync } from 'node:fs'
import { type RespAuth, type RespCommand, type RespReply, redisCommand } from '../src/harness/resp.js'
import type { RedisDeployment, RedisNode } from '../src/index.js'

/** Runs one command on `node` with the deployment's credentials (and TLS CA). */
export function run(
  deployment: RedisDeployment,
  node: RedisNode,
  command: RespCommand,
  options: { auth?: RespAuth | null; timeout?: number } = {},
): Promise<RespReply> {
  const auth =
    options.auth === null
      ? undefined
      : (options.auth ??
        (deployment.password === undefined
          ? undefined
          : { username: deployment.username, password: deployment.password }))
  const tls = deployment.tls
  return redisCommand(
    {
      host: node.host,
      port: node.port,
      ...(tls === undefined ? {} : { tls: { ca: tls.ca } }),
    },
    command,
    { auth, timeout: options.timeout ?? 2000 },
  )
}

/** `INFO <section>` as a map. */
export async function info(
  deployment: RedisDeployment,
  node: RedisNode,
  section: string,
): Promise<Map<string, string>> {
  const text = String(await run(deployment, node, ['INFO', section]))
  return new Map(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  )
}

/**
 * True when `pid` no longer runs. A zombie counts as gone: it has exited and only waits for its
 * parent to collect it, which for an orphan is pid 1 (and some container inits never do).
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** True when `pid` is gone and reaped (`kill(pid, 0)` fails with ESRCH). */
export function reaped(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
