# Shared by scripts/setup.sh and scripts/test.sh (sourced, not run): install what bridge needs,
# idempotently, and say exactly what is missing when it cannot.
# shellcheck shell=bash

BRIDGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUN_VERSION=$(node -p 'require(process.argv[1]).packageManager.split("@")[1]' "$BRIDGE_REPO/package.json" 2>/dev/null || echo 1.4.5)
TEST_IMAGE=${BRIDGE_TEST_IMAGE:-localhost/bridge-python:latest}
TEST_DATA_IMAGE=${BRIDGE_TEST_DATA_IMAGE:-localhost/bridge-datascience:latest}

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# The exact command that installs packages for this user, when this script cannot run it itself.
install_step() {
  if [ "$(uname -s)" = Darwin ]; then echo "brew install $*"
  elif ! command -v apt-get >/dev/null; then echo "install $* with your package manager (as root)"
  elif is_root; then echo "apt-get install $*"
  elif command -v sudo >/dev/null; then echo "sudo apt-get install $*"
  else echo "ask an administrator to run 'apt-get install $*' (this account is not root and has no sudo)"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  { command -v apt-get >/dev/null && is_root; } || die "missing ${missing[*]}: $(install_step "${missing[@]}"), then run $0 again"
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

# Starts dockerd in the background and waits for it to answer (root only).
start_dockerd() {
  local log=${BRIDGE_DOCKERD_LOG:-/var/log/bridge-dockerd.log}
  say "starting dockerd (log: $log)"
  (dockerd >"$log" 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "dockerd did not start: see $log"
}

# Starts dockerd when docker is installed but no daemon answers and this script may (root).
ensure_dockerd() {
  command -v docker >/dev/null || return 0
  docker info >/dev/null 2>&1 && return 0
  is_root && command -v dockerd >/dev/null || { say "docker is installed but its daemon is not running"; return 0; }
  start_dockerd
}

# Linux packages for podman, rootful or rootless (runc: crun fails on hybrid-cgroup hosts).
PODMAN_PACKAGES=(podman runc uidmap slirp4netns fuse-overlayfs)

# Makes sure a container engine answers, in bridge's order (podman, then docker): installs podman
# or starts dockerd where this script can, else stops with the one next step for this host and
# user. Sets BRIDGE_ENGINE. Decides only from PATH, `id -u`, `uname -s` and the engines' answers.
ensure_engine() {
  local podman_err="" docker_err=""
  if command -v podman >/dev/null; then
    if podman_err=$(podman info 2>&1 >/dev/null); then BRIDGE_ENGINE=podman; return 0; fi
  fi
  if command -v docker >/dev/null; then
    if docker_err=$(docker info 2>&1 >/dev/null); then BRIDGE_ENGINE=docker; return 0; fi
    say "docker does not answer: $(printf '%s\n' "$docker_err" | grep -v '^\s*$' | tail -n1)"
  fi
  if command -v podman >/dev/null; then
    say "podman does not answer: $(printf '%s\n' "$podman_err" | grep -v '^\s*$' | tail -n1)"
    if [ "$(uname -s)" = Darwin ]; then
      [ -n "$(podman machine list --format '{{.Name}}' 2>/dev/null)" ] && die "podman's VM is not running: podman machine start"
      die "podman has no VM yet: podman machine init --now"
    fi
    if printf '%s' "$podman_err" | grep -q 'subuid'; then
      local add="usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${USER:-$(id -un)}"
      if is_root; then die "rootless podman needs subordinate ids for ${USER:-this user}: $add"
      elif command -v sudo >/dev/null; then die "rootless podman needs subordinate ids for this user: sudo $add, then run $0 again"
      else die "rootless podman needs subordinate ids for this user: ask an administrator to run '$add', then run $0 again"; fi
    fi
    die "fix podman (\`podman info\` shows the error above), then run $0 again"
  fi
  if command -v docker >/dev/null && printf '%s' "$docker_err" | grep -qi 'permission denied'; then
    die "docker's daemon runs but refuses this user: ask an administrator to add you to the docker group ('usermod -aG docker ${USER:-$(id -un)}'), then log in again"
  fi
  if command -v docker >/dev/null && command -v dockerd >/dev/null; then
    is_root && { start_dockerd; BRIDGE_ENGINE=docker; return 0; }
    command -v sudo >/dev/null && die "docker's daemon is not running: sudo systemctl start docker, then run $0 again"
    die "docker's daemon is not running: ask an administrator to start it ('systemctl start docker'), then run $0 again"
  fi
  if [ "$(uname -s)" = Darwin ]; then
    command -v docker >/dev/null && die "docker's daemon is not running: start Docker Desktop (open -a Docker), then run $0 again"
    die "no container engine answers: brew install podman && podman machine init --now, then run $0 again"
  fi
  if is_root && command -v apt-get >/dev/null; then
    say "no container engine answers: installing podman"
    apt_install "${PODMAN_PACKAGES[@]}"
    podman_err=$(podman info 2>&1 >/dev/null) || die "podman was installed but does not answer: $podman_err"
    BRIDGE_ENGINE=podman
    return 0
  fi
  die "no container engine answers: $(install_step "${PODMAN_PACKAGES[@]}"), then run $0 again"
}

# The test images, built by the binary's own `image build` (so CI exercises it) offline from
# Debian packages (CI reaches no image registry), in every running engine: TEST_IMAGE (Python and
# matplotlib, for most tests) and TEST_DATA_IMAGE (the datascience preset). A tag already built by
# the current recipe is kept (a second of checking); the rootfs tarballs are cached in ~/.cache/bridge.
ensure_test_images() {
  local bin="$BRIDGE_REPO/dist/bridge" engines=() e
  command -v podman >/dev/null && engines+=(podman)
  command -v docker >/dev/null && docker info >/dev/null 2>&1 && engines+=(docker)
  [ ${#engines[@]} -eq 0 ] && return 0
  is_root && command -v apt-get >/dev/null && apt_install debootstrap
  for e in "${engines[@]}"; do
    say "test images in $e: $TEST_IMAGE, $TEST_DATA_IMAGE"
    MCP_BRIDGE_ENGINE=$e "$bin" image build --offline --preset minimal --add matplotlib --tag "$TEST_IMAGE" >/dev/null || die "building $TEST_IMAGE in $e failed (above)"
    MCP_BRIDGE_ENGINE=$e "$bin" image build --offline --preset datascience --tag "$TEST_DATA_IMAGE" >/dev/null || die "building $TEST_DATA_IMAGE in $e failed (above)"
  done
}
