import { setTimeout as sleep } from 'node:timers/promises'

/** A product of the demo catalog. */
export interface Product {
  id: number
  name: string
  price: number
}

/** How long the "database" takes to answer: the cost the cache saves. */
export const SLOW_MS = 250

/** An in-memory product table that answers slowly, like a remote database would. */
export class Catalog {
  readonly #products = new Map<number, Product>([
    [1, { id: 1, name: 'Espresso machine', price: 249 }],
    [2, { id: 2, name: 'Burr grinder', price: 129 }],
    [3, { id: 3, name: 'Milk jug', price: 19 }],
  ])

  async list(): Promise<Product[]> {
    await sleep(SLOW_MS)
    return [...this.#products.values()]
  }

  async find(id: number): Promise<Product | undefined> {
    await sleep(SLOW_MS)
    return this.#products.get(id)
  }

  update(id: number, price: number): Product | undefined {
    const product = this.#products.get(id)
    if (product === undefined) return undefined
    product.price = price
    return product
  }
}
