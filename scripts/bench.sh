#!/usr/bin/env bash
# `npm run bench [suite...]`: builds the packages and runs the benchmark suites in bench/ against one
# local redis-server started for the run. Results: bench/results/*.md.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

need_redis
install_deps
pnpm -s turbo run build --output-logs=errors-only >&2
cd bench
exec pnpm -s exec tsx src/run.ts "$@"
