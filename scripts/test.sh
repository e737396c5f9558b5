#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Bun, packages, podman,
# docker, runc, ruby), builds dist/bridge, then the test images with it, runs `bun test`, and ends with the
# plain line "N passed, N failed". Extra arguments go to `bun test` (e.g. a path filter).
set -euo pipefail
. "$(dirname "$0")/lib/prereqs.sh"
cd "$BRIDGE_REPO"

ensure_bun
if command -v apt-get >/dev/null; then
  # ruby: runs the Homebrew formula's `test do` (test/e2e/homebrew-formula.test.ts).
  apt_install podman runc uidmap slirp4netns fuse-overlayfs docker.io debootstrap ruby
else
  say "no apt-get: using the podman/docker already installed (engine tests skip a missing engine)"
fi
ensure_dockerd
ensure_build
ensure_test_images

log=$(mktemp /tmp/bridge-test.XXXXXX.log)
say "bun test $* (log: $log)"
set +e
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -aE '^ *[0-9]+ pass$' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
failed=$(grep -aE '^ *[0-9]+ fail$' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
passed=${passed:-0}
failed=${failed:-0}
# A crash or a non-zero exit without counted failures still fails the run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
