#!/usr/bin/env bash
# Sets bridge up from a fresh clone and shows it working: makes sure a container engine answers
# (installing podman or starting dockerd as root on Debian/Ubuntu; otherwise stopping with the one
# command to run), installs Bun (from npm) and the packages, builds dist/bridge, makes sure a
# sandbox image exists (pulling the default image, or building one offline from Debian packages
# when no registry is reachable), runs `bridge doctor`, then runs Python in the sandbox once.
set -euo pipefail
. "$(dirname "$0")/lib/prereqs.sh"
cd "$BRIDGE_REPO"

# The engine first: when it needs a step only the user can take, say so before minutes of building.
ensure_engine
if [ "$BRIDGE_ENGINE" = docker ] && command -v podman >/dev/null && [ -z "${MCP_BRIDGE_ENGINE:-}${MCP_BRIDGE_RUNTIME:-}" ]; then
  export MCP_BRIDGE_ENGINE=docker
  say "podman is installed but does not answer, docker does: set MCP_BRIDGE_ENGINE=docker in your MCP client's env for bridge"
fi
ensure_bun
ensure_build
bridge="$BRIDGE_REPO/dist/bridge"
root=${BRIDGE_ROOT:-$HOME/.bridge}

# The image: whatever is configured, else the default; air-gapped hosts get the offline build.
image=$("$bridge" doctor --print-image)
engine=$("$bridge" doctor --print-engine)
if ! "$engine" image inspect "$image" >/dev/null 2>&1; then
  say "pulling $image with $engine"
  if ! "$engine" pull -q "$image" >/dev/null 2>&1; then
    say "no registry reachable: building $TEST_IMAGE offline from Debian packages"
    apt_install debootstrap
    bash "$BRIDGE_REPO/scripts/sandbox-image.sh" --engine "$engine" --with-matplotlib --tag "$TEST_IMAGE"
    if [ -z "${MCP_BRIDGE_IMAGE:-}" ] && [ ! -e "$root/config.json" ]; then
      mkdir -p "$root" && chmod 700 "$root"
      printf '{ "image": "%s" }\n' "$TEST_IMAGE" >"$root/config.json"
      say "wrote $root/config.json so bridge uses $TEST_IMAGE"
    else
      say "set MCP_BRIDGE_IMAGE=$TEST_IMAGE (or \"image\" in $root/config.json) to use it"
    fi
  fi
fi

"$bridge" doctor || die "bridge doctor found problems (above)"
say "running Python in the sandbox:"
"$bridge" run -c 'import platform, sys; print(f"hello from {platform.python_implementation()} {sys.version.split()[0]} in the bridge sandbox"); 6 * 7'
say "done. Add bridge to your MCP client with the command: $bridge serve   (see README)"
