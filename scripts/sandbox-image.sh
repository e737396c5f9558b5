#!/usr/bin/env bash
# Builds bridge's sandbox image offline, from Debian packages, for machines that cannot reach an
# image registry: debootstrap a minimal rootfs with python3, then `podman import` / `docker import`.
#
#   scripts/sandbox-image.sh [--engine podman|docker|all] [--tag NAME] [--with-matplotlib]
#                            [--suite bookworm] [--mirror URL] [--rebuild]
#
# Needs root (debootstrap) and the debootstrap package. The rootfs tarball is cached under
# ${XDG_CACHE_HOME:-~/.cache}/bridge so importing into a second engine takes seconds.
set -euo pipefail

engine=all
tag=localhost/bridge-python:latest
suite=bookworm
mirror=""
extra=""
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --with-matplotlib) extra="python3-matplotlib"; shift ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sandbox-image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "sandbox-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "debootstrap needs root: run with sudo"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"

if [ -z "$mirror" ]; then
  # Use the mirror apt already uses (it may be the only one reachable), else Debian's default.
  mirror=$(grep -hoE '^(URIs:|deb) +(\[[^]]*\] +)?https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -v security | head -n1 | grep -oE 'https?://[^ ]+' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/bridge
mkdir -p "$cache"
# Format 2: earlier tarballs had a 0700 root directory (see below); the format is part of the
# cache key and stamped into the image, so older builds are redone.
IMAGE_FORMAT=2
key=$(printf 'v%s %s %s %s' "$IMAGE_FORMAT" "$suite" "$mirror" "$extra" | sha256sum | cut -c1-12)
tarball="$cache/rootfs-$suite-$key.tar"

if [ "$rebuild" = 1 ] || [ ! -s "$tarball" ]; then
  rootfs=$(mktemp -d /var/tmp/bridge-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  echo "sandbox-image: debootstrap $suite from $mirror (about a minute)..." >&2
  include=python3,ca-certificates${extra:+,$extra}
  debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (full log: $cache/debootstrap.log)"; }
  # Slim the image: package caches and docs are dead weight in a sandbox.
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  mkdir -p "$rootfs/workspace" && chmod 1777 "$rootfs/workspace"
  # mktemp -d made the root 0700, and the tarball keeps that mode for the image's "/": overlay
  # storage hides it, but rootless podman on vfs does not, and uid 65534 could not reach anything.
  chmod 755 "$rootfs"
  "$rootfs/usr/bin/python3" --version >/dev/null 2>&1 || chroot "$rootfs" python3 --version >/dev/null || die "python3 missing from the rootfs"
  tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"; trap - EXIT
fi

import_into() {
  local bin=$1
  command -v "$bin" >/dev/null || { echo "sandbox-image: $bin not installed, skipped" >&2; return 0; }
  if ! "$bin" info >/dev/null 2>&1; then echo "sandbox-image: $bin is installed but not running, skipped" >&2; return 0; fi
  # BRIDGE_IMAGE_FORMAT marks images built by this version of the script (scripts/lib/prereqs.sh
  # rebuilds older ones); ENV is a --change both podman and docker import accept.
  "$bin" import --change 'CMD ["python3"]' --change 'WORKDIR /workspace' --change "ENV BRIDGE_IMAGE_FORMAT=$IMAGE_FORMAT" "$tarball" "$tag" >/dev/null
  # No test run here: starting a container may need host-specific flags (OCI runtime, ulimits);
  # `bridge doctor` checks that properly.
  echo "sandbox-image: $bin: imported $tag ($("$bin" image inspect --format '{{.Id}}' "$tag" | cut -c1-19))" >&2
}
case "$engine" in
  podman|docker) import_into "$engine" ;;
  all) import_into podman; import_into docker ;;
  *) die "--engine must be podman, docker or all" ;;
esac
