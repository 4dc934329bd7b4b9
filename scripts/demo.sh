#!/usr/bin/env bash
# The README's demo command (`npm run demo`). The demo (an Express app on a cache) arrives with the
# Express adapter issue; until then this says so.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if [ -f examples/demo/package.json ]; then
  need_redis
  install_deps
  pnpm -s turbo run build --output-logs=errors-only >&2
  exec pnpm -s --filter ./examples/demo start
fi
say "The demo arrives with @rediskit/express (not built yet). Nothing to run yet: run 'npm test' to see what works today."
exit 0
