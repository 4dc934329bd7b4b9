/** A RESP3 double in decimal or E notation (RESP3 allows no hex, no spaces). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The value of a RESP3 double's text, or `undefined` when it is not one. Decimal text goes
 * through `Number()`, which rounds correctly (0.3, 1.7976931348623157e308 and 5e-324 come back
 * exactly; digit-by-digit accumulation, as some decoders do, does not). `inf`, `-inf`, `nan` and
 * `-nan` (what C's printf writes for a negative NaN) are accepted in any letter case.
 */
export function parseDouble(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text)
  switch (text.toLowerCase()) {
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY
    case 'nan':
    case '-nan':
    case '+nan':
      return Number.NaN
    default:
      return undefined
  }
}
