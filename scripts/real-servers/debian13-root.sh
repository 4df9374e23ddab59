#!/usr/bin/env bash
# The Debian 13 root the real-server tier runs its servers in when the host is Debian 12.
#   debian13-root.sh ensure   build (or rebuild when packages.txt changed) and mount; prints the root's path
#   debian13-root.sh umount   unmount everything this script mounted under the root
# The root lives in the git-ignored .cache/ folder. Mounts: /proc, /dev (rbind, slave), and the host's /tmp and the
# repository at the same paths, so a path the tests write on the host is the same path inside the root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root="$repo/.cache/debian13-root"
stamp="$repo/.cache/debian13-root.packages"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

packages() { grep -v '^\s*#' "$here/packages.txt" | grep -v '^\s*$'; }

mounted_under() { findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r) == 1' | sort -r; }

do_umount() {
  local t
  for t in $(mounted_under); do umount -l "$t" 2>/dev/null || true; done
  if [[ -n $(mounted_under) ]]; then
    echo "debian13-root: still mounted under $root: $(mounted_under | tr '\n' ' ')" >&2
    return 1
  fi
}

do_mount() {
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  if ! mountpoint -q "$root/dev"; then mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"; fi
  # Private: a mount made later under these (the repository when it lives in /tmp) must not propagate to the host.
  if ! mountpoint -q "$root/tmp"; then mount --bind /tmp "$root/tmp" && mount --make-private "$root/tmp"; fi
  mkdir -p "$root$repo"
  if ! mountpoint -q "$root$repo"; then mount --bind "$repo" "$root$repo" && mount --make-private "$root$repo"; fi
}

build() {
  # Never delete through a mount: unmount first, and rm stays on the root's own filesystem.
  do_umount
  if [[ -d $root ]]; then rm -rf --one-file-system "$root"; fi
  mkdir -p "$root"
  echo "debian13-root: debootstrap trixie into $root (from $mirror)" >&2
  debootstrap --variant=minbase trixie "$root" "$mirror" >"$repo/.cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$repo/.cache/debootstrap.log" >&2
    exit 1
  }
  do_mount
  # Services must not start inside the root at install time.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get update -qq
  # shellcheck disable=SC2046
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $(packages) >"$repo/.cache/apt.log" 2>&1 || {
    tail -n 20 "$repo/.cache/apt.log" >&2
    exit 1
  }
  # Debian's postgresql-common creates and starts a default cluster; the tests start their own servers.
  # shellcheck disable=SC2016 # expanded by the root's shell
  chroot "$root" sh -c 'pg_lsclusters -h | while read -r v c _; do pg_dropcluster --stop "$v" "$c"; done' || true
  sha256sum "$here/packages.txt" | cut -d' ' -f1 >"$stamp"
}

case ${1:-} in
  ensure)
    [[ $(id -u) -eq 0 ]] || { echo "debian13-root: must run as root (debootstrap, chroot, mount)" >&2; exit 1; }
    command -v debootstrap >/dev/null || { echo "debian13-root: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
    mkdir -p "$repo/.cache"
    want=$(sha256sum "$here/packages.txt" | cut -d' ' -f1)
    if [[ ! -x $root/usr/bin/patroni || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then build; fi
    do_mount
    echo "$root"
    ;;
  umount) do_umount ;;
  *)
    echo "usage: $0 ensure|umount" >&2
    exit 2
    ;;
esac
