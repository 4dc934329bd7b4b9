import type { RespReply } from './resp.js'

/** `INFO` text as a map of `field -> value` (section headers and blank lines dropped). */
export function parseInfo(reply: RespReply): Map<string, string> {
  const fields = new Map<string, string>()
  if (typeof reply !== 'string') return fields
  for (const line of reply.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

/** A flat `[field, value, field, value ...]` reply (SENTINEL MASTER, CONFIG GET) as a map. */
export function parseFieldList(reply: RespReply): Map<string, string> {
  const fields = new Map<string, string>()
  if (!Array.isArray(reply)) return fields
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = reply[i]
    const value = reply[i + 1]
    if (typeof key === 'string') fields.set(key, typeof value === 'string' ? value : String(value))
  }
  return fields
}

/** One line of `CLUSTER NODES`. */
export interface ClusterNodeLine {
  readonly id: string
  readonly port: number
  readonly flags: readonly string[]
  /** Node id of the primary, for a replica. */
  readonly primaryId: string | undefined
  /** Slot ranges served (inclusive), migrating/importing markers dropped. */
  readonly slots: readonly (readonly [number, number])[]
}

/** Parses `CLUSTER NODES` output. */
export function parseClusterNodes(reply: RespReply): ClusterNodeLine[] {
  if (typeof reply !== 'string') return []
  const lines: ClusterNodeLine[] = []
  for (const raw of reply.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    const [id = '', addr = '', flags = '', primary = '-', , , , , ...slotFields] = line.split(' ')
    const hostPort = addr.split('@')[0] ?? ''
    const port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))
    const slots: [number, number][] = []
    for (const field of slotFields) {
      if (field.startsWith('[')) continue
      const [from, to] = field.split('-')
      slots.push([Number(from), Number(to ?? from)])
    }
    lines.push({
      id,
      port,
      flags: flags.split(','),
      primaryId: primary === '-' ? undefined : primary,
      slots: slots.sort((a, b) => a[0] - b[0]),
    })
  }
  return lines
}
