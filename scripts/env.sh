# Shared by scripts/test.sh, demo.sh and bench.sh: makes sure Node, pnpm, the dependencies and
# (when asked) redis-server are there, installing what it can and saying exactly what to install
# otherwise. Sourced, not run: it exports PATH so `pnpm` is the pinned release.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m[rediskit]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[rediskit]\033[0m %s\n' "$*" >&2; exit 1; }

# --- Node ------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node.js 20.19 or newer (https://nodejs.org), then run this again."
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number)
  if (maj < 20 || (maj === 20 && min < 19)) process.exit(1)
' || die "Node.js $(node -v) is too old: rediskit needs Node.js 20.19 or newer (require(esm) and the test tooling need it)."

# --- pnpm (the release pinned in package.json "packageManager") --------------------------------
PNPM_VERSION="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if ! { command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; }; then
  PNPM_HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/rediskit/pnpm-$PNPM_VERSION"
  if [ ! -x "$PNPM_HOME_DIR/node_modules/.bin/pnpm" ]; then
    say "installing pnpm $PNPM_VERSION with npm into $PNPM_HOME_DIR"
    command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js with npm (https://nodejs.org)."
    mkdir -p "$PNPM_HOME_DIR"
    npm install --prefix "$PNPM_HOME_DIR" --no-save --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2 \
      || die "could not install pnpm $PNPM_VERSION from the npm registry (npm install pnpm@$PNPM_VERSION failed)."
  fi
  export PATH="$PNPM_HOME_DIR/node_modules/.bin:$PATH"
fi
export COREPACK_ENABLE_STRICT=0

# --- dependencies --------------------------------------------------------------------------------
install_deps() {
  if [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; then
    pnpm install --frozen-lockfile --reporter=append-only >&2
  else
    pnpm install --reporter=silent >&2 || pnpm install >&2
  fi
}

# --- redis-server, redis-cli, redis-sentinel, openssl ---------------------------------------
need_redis() {
  local missing=()
  for bin in redis-server redis-cli redis-sentinel openssl; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq redis-server redis-tools redis-sentinel openssl >&2 \
      || die "apt-get could not install redis-server redis-tools redis-sentinel openssl."
    # Debian starts a system redis-server on 6379 after install; the tests never use it.
    return 0
  fi
  die "missing: ${missing[*]}. The tests start real Redis servers, so install them first:
    Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y redis-server redis-tools redis-sentinel openssl
    macOS:          brew install redis openssl
  (redis-server 6.2 or newer, with redis-cli and redis-sentinel on PATH), then run this again."
}
