#!/bin/sh
# Installs the bridge binary: curl -fsSL https://<release host>/install.sh | sh
#
#   BRIDGE_VERSION       release to install (default: latest)
#   BRIDGE_INSTALL_DIR   where to put the binary (default: ~/.local/bin)
#   BRIDGE_DOWNLOAD_URL  base URL holding bridge-<os>-<arch>.tar.gz and SHA256SUMS
#                        (default: the GitHub release; point it at a mirror on air-gapped networks)
#
# The archive is verified against SHA256SUMS before anything is installed.
set -eu

repo=${BRIDGE_GITHUB_REPO:-bridge-mcp/bridge}
version=${BRIDGE_VERSION:-latest}
if [ -z "${BRIDGE_DOWNLOAD_URL:-}" ]; then
  if [ "$version" = latest ]; then BRIDGE_DOWNLOAD_URL="https://github.com/$repo/releases/latest/download"
  else BRIDGE_DOWNLOAD_URL="https://github.com/$repo/releases/download/v$version"; fi
fi
dest=${BRIDGE_INSTALL_DIR:-$HOME/.local/bin}

fail() { echo "install.sh: $*" >&2; exit 1; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW*|MSYS*|CYGWIN*) os=windows ;;
  *) fail "unsupported OS $(uname -s): download a binary from $BRIDGE_DOWNLOAD_URL by hand" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  arm64|aarch64) arch=arm64 ;;
  *) fail "unsupported CPU $(uname -m)" ;;
esac
[ "$os-$arch" = windows-arm64 ] && fail "no windows-arm64 build yet: use windows-x64 under emulation"
archive="bridge-$os-$arch.tar.gz"

if command -v curl >/dev/null 2>&1; then fetch() { curl -fsSL "$1" -o "$2"; }
elif command -v wget >/dev/null 2>&1; then fetch() { wget -q "$1" -O "$2"; }
else fail "needs curl or wget"; fi
if command -v sha256sum >/dev/null 2>&1; then sha() { sha256sum "$1" | cut -d' ' -f1; }
else sha() { shasum -a 256 "$1" | cut -d' ' -f1; }; fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t bridge)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "install.sh: downloading $archive from $BRIDGE_DOWNLOAD_URL" >&2
fetch "$BRIDGE_DOWNLOAD_URL/$archive" "$tmp/$archive" || fail "download of $archive failed"
fetch "$BRIDGE_DOWNLOAD_URL/SHA256SUMS" "$tmp/SHA256SUMS" || fail "download of SHA256SUMS failed"
want=$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || fail "SHA256SUMS has no entry for $archive"
got=$(sha "$tmp/$archive")
[ "$want" = "$got" ] || fail "checksum mismatch for $archive (expected $want, got $got): not installed"

tar -xzf "$tmp/$archive" -C "$tmp"
exe=bridge; [ "$os" = windows ] && exe=bridge.exe
mkdir -p "$dest"
mv "$tmp/$exe" "$dest/$exe.new" && chmod 755 "$dest/$exe.new" && mv "$dest/$exe.new" "$dest/$exe"
installed="$(cd "$dest" && pwd)/$exe"
"$installed" --version >/dev/null 2>&1 || fail "$installed does not run on this machine"

cat <<MSG
bridge $("$installed" --version) installed at $installed

Next: run \`$installed doctor\`, then add bridge to your MCP client. Use the absolute path:
GUI clients start servers with a minimal PATH, and Linux's iproute2 has its own /usr/sbin/bridge.

  { "mcpServers": { "bridge": { "command": "$installed", "args": ["serve"] } } }
MSG
case ":$PATH:" in *":$dest:"*) ;; *) echo "(note: $dest is not on your PATH)";; esac
