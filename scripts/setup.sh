#!/usr/bin/env bash
# Sets bridge up from a fresh clone and shows it working: makes sure a container engine answers
# (installing podman or starting dockerd as root on Debian/Ubuntu; otherwise stopping with the one
# command to run), installs Bun (from npm) and the packages, builds dist/bridge, makes sure a
# sandbox image exists (pulling the default image, or, when no registry is reachable, building the
# datascience image offline with `bridge image build --use`), runs `bridge doctor`, then runs
# Python in the sandbox once.
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

# The image: whatever is configured, else the default; air-gapped hosts get the offline build.
image=$("$bridge" doctor --print-image)
engine=$("$bridge" doctor --print-engine)
if ! "$engine" image inspect "$image" >/dev/null 2>&1; then
  say "pulling $image with $engine"
  if ! "$engine" pull -q "$image" >/dev/null 2>&1; then
    say "no registry reachable: building an image offline from Debian packages ($bridge image build)"
    is_root && command -v apt-get >/dev/null && apt_install debootstrap
    if [ -z "${MCP_BRIDGE_IMAGE:-}" ]; then
      MCP_BRIDGE_ENGINE=$engine "$bridge" image build --offline --use >/dev/null || die "the offline image build failed (above)"
    else
      tag=$(MCP_BRIDGE_ENGINE=$engine "$bridge" image build --offline) || die "the offline image build failed (above)"
      say "MCP_BRIDGE_IMAGE=$MCP_BRIDGE_IMAGE is set: set it to $tag to use the image just built"
    fi
  fi
fi

"$bridge" doctor || die "bridge doctor found problems (above)"
say "running Python in the sandbox:"
"$bridge" run -c 'import platform, sys; print(f"hello from {platform.python_implementation()} {sys.version.split()[0]} in the bridge sandbox"); 6 * 7'
say "done. Add bridge to your MCP client with the command: $bridge serve   (see README)"
