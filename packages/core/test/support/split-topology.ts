import type { Driver, KeyGroup, Topology } from '../../src/types.js'

/**
 * A two-node topology for tests (over real servers): keys whose last segment starts with `a`
 * live on the first driver, every other key on the second. Lets a test fail one node and check
 * that calls on the other are untouched.
 */
export class SplitTopology implements Topology {
  readonly kind = 'split'
  constructor(
    readonly a: Driver,
    readonly b: Driver,
  ) {}

  nodeFor(key: string, _intent: 'read' | 'write'): Driver {
    return onA(key) ? this.a : this.b
  }

  group(keys: readonly string[], _intent: 'read' | 'write'): KeyGroup[] {
    const a: number[] = []
    const b: number[] = []
    keys.forEach((key, index) => {
      ;(onA(key) ? a : b).push(index)
    })
    const groups: KeyGroup[] = []
    if (a.length > 0) groups.push({ driver: this.a, indexes: a })
    if (b.length > 0) groups.push({ driver: this.b, indexes: b })
    return groups
  }

  primaries(): readonly Driver[] {
    return [this.a, this.b]
  }

  async close(): Promise<void> {
    await Promise.all([this.a.close(), this.b.close()])
  }
}

function onA(key: string): boolean {
  const last = key.slice(key.lastIndexOf(':') + 1)
  return last.startsWith('a')
}
