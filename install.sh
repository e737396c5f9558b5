#!/bin/sh
# Installs the bridge binary: curl -fsSL https://<release host>/install.sh | sh
#
#   BRIDGE_VERSION       release to install, e.g. 0.1.0 or v0.1.0 (default: latest)
#   BRIDGE_INSTALL_DIR   where to put the binary (default: ~/.local/bin)
#   BRIDGE_DOWNLOAD_URL  base URL holding bridge-<os>-<arch>.tar.gz and SHA256SUMS
#                        (default: the GitHub release; point it at a mirror on air-gapped networks)
#
# The archive is verified against SHA256SUMS, and the new binary must run on this machine
# (`bridge --version`) before it replaces anything. Nothing outside the install directory is
# changed: when that directory is not on PATH, the line to add to your shell's profile is printed.
set -eu

repo=${BRIDGE_GITHUB_REPO:-bridge-mcp/bridge}
version=${BRIDGE_VERSION:-latest}
version=${version#v}
if [ -z "${BRIDGE_DOWNLOAD_URL:-}" ]; then
  if [ "$version" = latest ]; then BRIDGE_DOWNLOAD_URL="https://github.com/$repo/releases/latest/download"
  else BRIDGE_DOWNLOAD_URL="https://github.com/$repo/releases/download/v$version"; fi
fi
dest=${BRIDGE_INSTALL_DIR:-$HOME/.local/bin}

fail() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "install.sh: $*" >&2; }

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
# A shell under Rosetta 2 reports x86_64 on Apple silicon: the native build is the right one.
if [ "$os-$arch" = darwin-x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
  arch=arm64
fi
[ "$os-$arch" = windows-arm64 ] && fail "no windows-arm64 build yet: use windows-x64 under emulation"
archive="bridge-$os-$arch.tar.gz"

if command -v curl >/dev/null 2>&1; then fetch() { curl -fsSL "$1" -o "$2"; }
elif command -v wget >/dev/null 2>&1; then fetch() { wget -q "$1" -O "$2"; }
else fail "needs curl or wget"; fi
if command -v sha256sum >/dev/null 2>&1; then sha() { sha256sum "$1" | cut -d' ' -f1; }
else sha() { shasum -a 256 "$1" | cut -d' ' -f1; }; fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t bridge)
staged=""
trap 'rm -rf "$tmp"; [ -z "$staged" ] || rm -f "$staged"' EXIT INT TERM
note "downloading $archive from $BRIDGE_DOWNLOAD_URL"
fetch "$BRIDGE_DOWNLOAD_URL/$archive" "$tmp/$archive" || fail "download of $BRIDGE_DOWNLOAD_URL/$archive failed"
fetch "$BRIDGE_DOWNLOAD_URL/SHA256SUMS" "$tmp/SHA256SUMS" || fail "download of $BRIDGE_DOWNLOAD_URL/SHA256SUMS failed"
want=$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || fail "SHA256SUMS has no entry for $archive"
got=$(sha "$tmp/$archive")
[ "$want" = "$got" ] || fail "checksum mismatch for $archive (expected $want, got $got): not installed"

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || fail "could not unpack $archive"
exe=bridge; [ "$os" = windows ] && exe=bridge.exe
[ -f "$tmp/x/$exe" ] || fail "$archive holds no $exe"

# Stage next to the destination (same filesystem, and run where it will live: /tmp may be
# noexec), run it, and only then replace the old binary in one rename.
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
installed="$dest/$exe"
staged="$dest/.$exe.new.$$"
cp "$tmp/x/$exe" "$staged" && chmod 755 "$staged"
if ! new_version=$("$staged" --version 2>"$tmp/run.err"); then
  why=$(head -c 300 "$tmp/run.err" | tr '\n' ' ')
  kept="nothing was installed"; [ -e "$installed" ] && kept="kept the existing $installed"
  fail "the downloaded $exe does not run on this machine (${why:-no output}); $kept"
fi
mv -f "$staged" "$installed"
staged=""

cat <<MSG
bridge $new_version installed at $installed

Next: run \`$installed doctor\`, then add bridge to your MCP client. Use the absolute path:
GUI clients start servers with a minimal PATH, and Linux's iproute2 has its own /usr/sbin/bridge.

  { "mcpServers": { "bridge": { "command": "$installed", "args": ["serve"] } } }
MSG

# The PATH line for the user's login shell, with $HOME kept symbolic so the profile stays portable.
shown=$dest
if [ -n "${HOME:-}" ]; then case "$dest/" in "$HOME"/*) shown="\$HOME${dest#"$HOME"}" ;; esac; fi
on_path=0
case ":$PATH:" in *":$dest:"*) on_path=1 ;; esac
if [ "$on_path" = 0 ]; then
  case "${SHELL##*/}" in
    zsh) line="echo 'export PATH=\"$shown:\$PATH\"' >> ~/.zshrc" ;;
    bash) if [ "$os" = darwin ]; then line="echo 'export PATH=\"$shown:\$PATH\"' >> ~/.bash_profile"
          else line="echo 'export PATH=\"$shown:\$PATH\"' >> ~/.bashrc"; fi ;;
    fish) line="fish -c 'fish_add_path \"$dest\"'" ;;
    *) line="echo 'export PATH=\"$shown:\$PATH\"' >> ~/.profile" ;;
  esac
  cat <<MSG

$dest is not on your PATH. To run \`bridge\` by name, add it to your shell's profile:
  $line
and for this terminal:
  export PATH="$dest:\$PATH"
MSG
fi

# Another program named bridge (iproute2's /usr/sbin/bridge on Linux) would answer to `bridge`.
other=$(command -v "$exe" 2>/dev/null || true)
if [ -n "$other" ] && ! [ "$other" -ef "$installed" ]; then
  if [ "$on_path" = 1 ]; then
    note "warning: \`bridge\` in your shell runs $other, another program, because it comes first on PATH: use $installed, or put $dest before $(dirname "$other") in PATH"
  else
    note "warning: \`bridge\` in your shell runs $other, another program, until $dest is on PATH before it (the line above does that)"
  fi
fi
