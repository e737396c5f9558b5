# Shared by scripts/setup.sh and scripts/test.sh (sourced, not run): install what bridge needs,
# idempotently, and say exactly what is missing when it cannot.
# shellcheck shell=bash

BRIDGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUN_VERSION=$(node -p 'require(process.argv[1]).packageManager.split("@")[1]' "$BRIDGE_REPO/package.json" 2>/dev/null || echo 1.4.5)
TEST_IMAGE=localhost/bridge-python:latest

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get here: install them with your package manager"
  is_root || die "missing ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (or run this script as root)"
  say "apt-get install ${missing[*]}"
  if [ -z "${BRIDGE_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; BRIDGE_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_bun() {
  if command -v bun >/dev/null && [ "$(bun --version)" = "$BUN_VERSION" ]; then return 0; fi
  command -v npm >/dev/null || die "npm is needed to install Bun (https://nodejs.org), or install Bun $BUN_VERSION yourself"
  say "installing Bun $BUN_VERSION from npm"
  if ! npm install -g --silent "bun@$BUN_VERSION" >/dev/null 2>&1; then
    # No write access to the global prefix: install into the repo instead.
    npm install --silent --no-save --prefix "$BRIDGE_REPO/.cache/bun" "bun@$BUN_VERSION" >/dev/null
    export PATH="$BRIDGE_REPO/.cache/bun/node_modules/.bin:$PATH"
  fi
  hash -r
  [ "$(bun --version 2>/dev/null)" = "$BUN_VERSION" ] || die "Bun $BUN_VERSION did not install (found: $(bun --version 2>&1))"
}

ensure_build() {
  (cd "$BRIDGE_REPO" && bun install --frozen-lockfile >/dev/null) || die "bun install --frozen-lockfile failed"
  (cd "$BRIDGE_REPO" && bun run build >/dev/null) || die "bun run build failed"
  say "built $BRIDGE_REPO/dist/bridge $("$BRIDGE_REPO/dist/bridge" --version)"
}

# Starts dockerd in the background when docker is installed but no daemon answers (root only).
ensure_dockerd() {
  command -v docker >/dev/null || return 0
  docker info >/dev/null 2>&1 && return 0
  is_root && command -v dockerd >/dev/null || { say "docker is installed but its daemon is not running"; return 0; }
  say "starting dockerd"
  (dockerd >/var/log/bridge-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "dockerd did not start: see /var/log/bridge-dockerd.log"
}

# Installs podman (and runc, which hosts with hybrid cgroups need) when no engine is present.
ensure_engine() {
  if command -v podman >/dev/null || command -v docker >/dev/null; then ensure_dockerd; return 0; fi
  say "no container engine found: installing podman"
  apt_install podman runc uidmap slirp4netns fuse-overlayfs
}

# Imports the offline-built image into every running engine that lacks it (or has an older build).
ensure_test_image() {
  local need=0 format
  format=$(sed -n 's/^IMAGE_FORMAT=//p' "$BRIDGE_REPO/scripts/sandbox-image.sh")
  current() { "$1" image inspect --format '{{.Config.Env}}' "$TEST_IMAGE" 2>/dev/null | grep -q "BRIDGE_IMAGE_FORMAT=$format"; }
  command -v podman >/dev/null && ! current podman && need=1
  command -v docker >/dev/null && docker info >/dev/null 2>&1 && ! current docker && need=1
  [ "$need" = 0 ] && return 0
  apt_install debootstrap
  bash "$BRIDGE_REPO/scripts/sandbox-image.sh" --engine all --with-matplotlib --tag "$TEST_IMAGE"
}
