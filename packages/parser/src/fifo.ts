/** A growable ring buffer: O(1) push, shift and indexed peek (the pending commands of a connection). */
export class Fifo<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(16)
  #head = 0
  #size = 0

  get size(): number {
    return this.#size
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item
    this.#size++
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & (this.#items.length - 1)
    this.#size--
    return item
  }

  /** The item `index` places from the head (0 = the head), or undefined. */
  at(index: number): T | undefined {
    if (index >= this.#size) return undefined
    return this.#items[(this.#head + index) & (this.#items.length - 1)]
  }

  /** Removes and returns every item, head first. */
  drain(): T[] {
    const out: T[] = []
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item)
    return out
  }

  #grow(): void {
    const old = this.#items
    const items = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.#size; i++) items[i] = old[(this.#head + i) & (old.length - 1)]
    this.#items = items
    this.#head = 0
  }
}
