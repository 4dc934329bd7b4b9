#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds, runs the whole suite.
# Extra arguments go to vitest, e.g. `npm test -- --project core`.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

need_redis
install_deps
say "building"
pnpm -s turbo run build --output-logs=errors-only >&2
say "running the test suite ($(redis-server --version | cut -d' ' -f3))"
exec pnpm -s exec vitest run "$@"
