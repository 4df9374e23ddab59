#!/usr/bin/env bash
# Installs one pinned kubectl release (the version table's kubectlClientVersion for the environment) into
# $INSTALL_DIR, verified against the sha256 that dl.k8s.io publishes next to the binary.
# Usage: scripts/ci/install-kubectl.sh v1.35.0 [install-dir]
set -euo pipefail
version=${1:?usage: install-kubectl.sh <version, e.g. v1.35.0> [install-dir]}
install_dir=${2:-/usr/local/bin}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "not a kubectl release: $version" >&2; exit 2; }
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
base="https://dl.k8s.io/release/${version}/bin/linux/${arch}"
curl -fsSL --retry 3 -o "$tmp/kubectl" "$base/kubectl"
curl -fsSL --retry 3 -o "$tmp/kubectl.sha256" "$base/kubectl.sha256"
echo "$(cat "$tmp/kubectl.sha256")  $tmp/kubectl" | sha256sum --check --strict
install -m 0755 "$tmp/kubectl" "$install_dir/kubectl"
"$install_dir/kubectl" version --client
