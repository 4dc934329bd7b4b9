import { RediskitError } from '@rediskit/core'
import { md5, md5State } from './md5.js'

/** A node on the ring: its identity (an address such as '10.0.0.1:6379', or a name) and weight. */
export interface RingNode {
  id: string
  /** Relative share of keys; default 1. */
  weight?: number | undefined
}

export interface HashRingOptions {
  /**
   * Points on the continuum per node when all weights are equal. Default 1024, which keeps every
   * node within 10% of its share for any set of addresses (measured: 160 points, ketama's number,
   * leave a quarter of random 3-node rings more than 10% off). `160` gives exactly the continuum of
   * libmemcached's weighted ketama and twemproxy. With weights, node i gets
   * `floor(w_i / W * vnodes / 4 * N) * 4` points, as ketama does.
   */
  vnodes?: number | undefined
  /**
   * When a key contains `{...}` with something inside, hash only that part, so related keys
   * (`{user:1}:profile`, `{user:1}:cart`) land on one node. Same rule as Redis Cluster. Default true.
   */
  hashTags?: boolean | undefined
}

const POINTS_PER_HASH = 4
/** Points per node by default; see {@link HashRingOptions.vnodes}. */
export const DEFAULT_VNODES = 1024

/**
 * Consistent hashing with the ketama construction of libmemcached (weighted ketama) and twemproxy:
 * each node contributes `vnodes` points, four per MD5 digest of `"<id>-<n>"`; a key's MD5 (first
 * four digest bytes, little-endian) maps to the first point at or after it, wrapping around. With
 * `vnodes: 160` the continuum is exactly theirs; the default uses more points for a tighter balance.
 *
 * - Deterministic and independent of the order nodes are given in (ties broken by id).
 * - Immutable: {@link HashRing.with} / {@link HashRing.without} return new rings.
 * - Lookups are a binary search over a typed array and allocate nothing.
 */
export class HashRing {
  /** The nodes, sorted by id; {@link HashRing.indexOf} returns positions in this list. */
  readonly nodes: readonly Readonly<RingNode>[]
  readonly vnodes: number
  readonly hashTags: boolean
  private readonly points: Uint32Array
  private readonly owners: Uint32Array
  private scratch: Buffer = Buffer.allocUnsafe(256)

  constructor(nodes: Iterable<string | RingNode>, options: HashRingOptions = {}) {
    const vnodes = options.vnodes ?? DEFAULT_VNODES
    if (!Number.isInteger(vnodes) || vnodes < POINTS_PER_HASH || vnodes > 100_000) {
      throw new RediskitError('E_CONFIG', `vnodes must be an integer from 4 to 100000, got ${String(vnodes)}`)
    }
    this.vnodes = vnodes
    this.hashTags = options.hashTags ?? true
    const list = normalize(nodes)
    this.nodes = list
    const totalWeight = list.reduce((sum, n) => sum + (n.weight ?? 1), 0)
    const counts = list.map((n) => {
      const share = (n.weight ?? 1) / totalWeight
      // The same arithmetic as libmemcached and twemproxy, epsilon included.
      return Math.floor((share * vnodes * list.length) / POINTS_PER_HASH + 1e-10) * POINTS_PER_HASH
    })
    const total = counts.reduce((a, b) => a + b, 0)
    // Pack (point, owner) pairs into one Float64 per pair so a single numeric sort orders both:
    // point * 2^20 + owner index stays below 2^53 (owners < 2^20).
    const packed = new Float64Array(total)
    let at = 0
    const text = Buffer.allocUnsafe(1024)
    list.forEach((node, owner) => {
      const hashes = (counts[owner] ?? 0) / POINTS_PER_HASH
      for (let n = 0; n < hashes; n++) {
        const len = text.write(`${node.id}-${n}`, 0, 'utf8')
        md5(text, 0, len)
        for (let w = 0; w < POINTS_PER_HASH; w++) packed[at++] = md5State[w]! * 0x100000 + owner
      }
    })
    packed.sort()
    this.points = new Uint32Array(total)
    this.owners = new Uint32Array(total)
    for (let i = 0; i < total; i++) {
      const v = packed[i]!
      const owner = v % 0x100000
      this.owners[i] = owner
      this.points[i] = (v - owner) / 0x100000
    }
  }

  /** How many points each node holds, by id. */
  pointCounts(): Map<string, number> {
    const out = new Map<string, number>(this.nodes.map((n) => [n.id, 0]))
    for (const owner of this.owners) {
      const id = this.nodes[owner]!.id
      out.set(id, (out.get(id) ?? 0) + 1)
    }
    return out
  }

  /** The ketama hash of a key (after hash-tag extraction): a uint32. */
  hash(key: string): number {
    let buf = this.scratch
    if (key.length * 3 > buf.length) {
      const need = Buffer.byteLength(key, 'utf8')
      if (need > buf.length) buf = this.scratch = Buffer.allocUnsafe(Math.max(need, buf.length * 2))
    }
    const len = buf.write(key, 0, 'utf8')
    let start = 0
    let end = len
    if (this.hashTags) {
      const open = buf.indexOf(0x7b, 0) // '{'
      if (open !== -1 && open < len) {
        const close = buf.indexOf(0x7d, open + 1) // '}'
        if (close !== -1 && close < len && close > open + 1) {
          start = open + 1
          end = close
        }
      }
    }
    return md5(buf, start, end)
  }

  /** Position in {@link HashRing.nodes} of the node that owns `key`. */
  indexOf(key: string): number {
    const points = this.points
    const h = this.hash(key)
    let lo = 0
    let hi = points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid]! < h) lo = mid + 1
      else hi = mid
    }
    return this.owners[lo === points.length ? 0 : lo]!
  }

  /** The id of the node that owns `key`. */
  nodeFor(key: string): string {
    return this.nodes[this.indexOf(key)]!.id
  }

  /** A new ring with `node` added (or re-weighted, if its id is already there). */
  with(node: string | RingNode): HashRing {
    const added = typeof node === 'string' ? { id: node } : node
    return new HashRing([...this.nodes.filter((n) => n.id !== added.id), added], this.options())
  }

  /** A new ring without the node `id`. */
  without(id: string): HashRing {
    return new HashRing(
      this.nodes.filter((n) => n.id !== id),
      this.options(),
    )
  }

  private options(): HashRingOptions {
    return { vnodes: this.vnodes, hashTags: this.hashTags }
  }
}

function normalize(nodes: Iterable<string | RingNode>): RingNode[] {
  const list: RingNode[] = []
  const seen = new Set<string>()
  for (const raw of nodes) {
    const node = typeof raw === 'string' ? { id: raw } : { id: raw.id, weight: raw.weight }
    if (typeof node.id !== 'string' || node.id === '') {
      throw new RediskitError('E_CONFIG', 'every ring node needs a non-empty string id')
    }
    if (seen.has(node.id)) throw new RediskitError('E_CONFIG', `node '${node.id}' is listed twice`)
    const w = node.weight ?? 1
    if (!(Number.isFinite(w) && w > 0)) {
      throw new RediskitError(
        'E_CONFIG',
        `weight of node '${node.id}' must be a positive number, got ${String(w)}`,
      )
    }
    seen.add(node.id)
    list.push(node.weight === undefined ? { id: node.id } : node)
  }
  if (list.length === 0) throw new RediskitError('E_CONFIG', 'a hash ring needs at least one node')
  if (list.length >= 0x100000) throw new RediskitError('E_CONFIG', 'a hash ring takes at most 1048575 nodes')
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return list
}
