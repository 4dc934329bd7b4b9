#!/usr/bin/env bash
# The README's demo command (`npm run demo`): installs what is missing (pnpm and the workspace
# dependencies, as `npm test` does), then runs examples/express-demo: an Express app whose slow catalog
# route sits behind @rediskit/express. It sends itself a few requests and prints a table of MISS /
# HIT / invalidation / MISS again. The cache is REDIS_URL when set, else a redis-server the demo
# starts (when the binary is installed), else the embedded MemoryStore; the demo says which.
# It exits after the tour, 0 when every answer was the expected one; DEMO_SERVE=1 keeps the app
# serving afterwards (Ctrl-C stops it).
# REDISKIT_SKIP_INSTALL=1 skips the install step (for a test run that has installed already).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if [ "${REDISKIT_SKIP_INSTALL:-}" != "1" ]; then
  install_deps
fi
if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  say "redis-server is not installed: the demo runs on the embedded MemoryStore (set REDIS_URL, or install redis-server, to run it on Redis)"
fi
# Runs from the TypeScript sources (tsx resolves the workspace packages through tsconfig paths): no build step.
exec "$ROOT/node_modules/.bin/tsx" --tsconfig "$ROOT/examples/express-demo/tsconfig.json" "$ROOT/examples/express-demo/src/main.ts"
