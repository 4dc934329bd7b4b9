/** Helpers shared by the serializer and compressor contracts. */

/**
 * A copy of `data` that is a view at `offset` into a larger buffer full of other bytes: an
 * implementation that reads `buffer.buffer` without `byteOffset` fails on it.
 */
export function offsetView(data: Buffer, offset: number): Buffer {
  const big = Buffer.alloc(data.length + 16, 0xee)
  data.copy(big, offset)
  return big.subarray(offset, offset + data.length)
}

/** The `name` and `code` of a thrown value, for asserting a RediskitError without importing core. */
export function errorInfo(error: unknown): { name: unknown; code: unknown } {
  if (typeof error !== 'object' || error === null) return { name: undefined, code: undefined }
  const e = error as { name?: unknown; code?: unknown }
  return { name: e.name, code: e.code }
}
