import { createRequire } from 'node:module'
import type { Express } from 'express'
import express4 from 'express4'
import express5 from 'express5'

/** An Express major under test: the installed version and its app factory. */
export interface Framework {
  name: string
  version: string
  create: () => Express
}

const require = createRequire(import.meta.url)
const version = (name: string): string => (require(`${name}/package.json`) as { version: string }).version

/** Express 4 and Express 5, installed side by side (npm aliases `express4` and `express5`). */
export const frameworks: readonly Framework[] = [
  { name: 'express 4', version: version('express4'), create: () => express4() },
  { name: 'express 5', version: version('express5'), create: () => express5() },
]
