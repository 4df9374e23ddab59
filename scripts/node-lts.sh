#!/usr/bin/env bash
# Brings a pinned Node.js LTS build from the npm registry (the node-linux-<arch> packages ship the official builds)
# into the git-ignored .cache/ and prints its bin directory: the test command runs every suite on Node 24 even where
# the machine's Node is older. The tarball's sha512 is checked against the pin below (npm also checks the registry's).
# Usage: scripts/node-lts.sh [24|22]   (default 24)
set -euo pipefail
cd "$(dirname "$0")/.."

major=${1:-24}
case "$major" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *) echo "node-lts.sh: no pinned Node $major (pinned: 24, 22)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-lts.sh: no Node build for $(uname -m)" >&2; exit 1 ;;
esac
# dist.integrity of node-linux-<arch>@<version> on registry.npmjs.org.
case "$arch-$version" in
  x64-24.22.3) integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA== ;;
  arm64-24.22.3) integrity=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw== ;;
  x64-22.23.5) integrity=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw== ;;
  arm64-22.23.5) integrity=sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg== ;;
esac

dir=.cache/node-$version-$arch
if [[ ! -x $dir/bin/node ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tarball=$(ls "$tmp"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ $actual != "$integrity" ]]; then
    echo "node-lts.sh: node-linux-$arch@$version has integrity $actual, pinned $integrity" >&2
    exit 1
  fi
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  tar xzf "$tarball" -C "$dir.partial" --strip-components=1 package/bin/node package/LICENSE
  mv "$dir.partial" "$dir"
fi
echo "$PWD/$dir/bin"
