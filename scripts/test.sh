#!/usr/bin/env bash
# The README's test command (`npm test`, or `bash scripts/test.sh` on a fresh clone): installs what the tests need
# on a fresh Debian machine (as root), then runs every test tier and prints one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

# Host packages: shellcheck for the scripts, openssl for test certificates. The real-server tier (tier 4) runs the
# production majors from Debian 13 packages (scripts/real-servers/packages.txt): natively on a Debian 13 host, or in
# a Debian 13 root bootstrapped with debootstrap on a Debian 12 host (scripts/real-servers/debian13-root.sh).
HOST_PACKAGES=(shellcheck openssl procps)
debian_major=$(sed -n 's/^VERSION_ID="\{0,1\}\([0-9]*\).*/\1/p' /etc/os-release)
# testing/unstable have no VERSION_ID: they are newer than 13.
debian_major=${debian_major:-99}
if ((debian_major >= 13)); then
  mapfile -t SERVER_PACKAGES < <(grep -v '^\s*#' scripts/real-servers/packages.txt | grep -v '^\s*$')
  HOST_PACKAGES+=("${SERVER_PACKAGES[@]}")
else
  HOST_PACKAGES+=(debootstrap)
fi

install_system_packages() {
  local missing=()
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
      exit 1
    fi
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    # Servers must not start at install time (the tests start their own on loopback).
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; fi
  fi
}

# Where tier 4 runs its servers: '' (native Debian 13) or the Debian 13 root (mounted for the run, unmounted after).
prepare_server_root() {
  if ((debian_major >= 13)); then
    export REAL_SERVER_ROOT=''
  else
    echo "==> Debian ${debian_major} host: Debian 13 root for the real-server tier"
    REAL_SERVER_ROOT=$(bash scripts/real-servers/debian13-root.sh ensure)
    export REAL_SERVER_ROOT
    unmount_root=1
  fi
}

results=$(mktemp -d)
unmount_root=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  rm -rf "$results"
  if ((unmount_root)); then bash scripts/real-servers/debian13-root.sh umount || true; fi
}
trap cleanup EXIT

run_jest() { # name, then jest arguments
  local name=$1
  shift
  echo "==> jest: $name"
  npx jest --json --outputFile="$results/$name.json" "$@"
}

install_system_packages
prepare_server_root
# Every suite runs on Node 24 LTS (engines in package.json): where the machine's Node is another major, the pinned
# build comes from the npm registry (scripts/node-lts.sh) and goes first on PATH, for npm ci and every run below.
if [[ $(node -p 'process.versions.node.split(".")[0]') != 24 ]]; then
  node_bin=$(bash scripts/node-lts.sh 24)
  export PATH="$node_bin:$PATH"
fi
echo "==> node $(node -v), npm $(npm -v)"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

echo "==> typecheck (tsc, strict)"
npx tsc -p tsconfig.json

echo "==> shellcheck"
shellcheck scripts/*.sh scripts/ci/*.sh scripts/real-servers/*.sh .ci/run

status=0
# Tier 1 (unit: config, naming, versions) and tier 2 (synth assertions, cdk-nag) per package.
for pkg in rendered constructs-lib infra-aws k8s-manifests delivery verify; do
  (cd "packages/$pkg" && run_jest "$pkg" --silent) || status=1
done
# Tier 3 (rendered output: layout, byte-identical renders, dist/ up to date, failed render leaves dist/ intact).
run_jest render -c jest.scripts.config.js --silent || status=1
# Tier 4 (real servers on loopback, configured from the rendered dist/ YAML).
run_jest real-servers -c jest.real-servers.config.js || status=1
# Tier 3, the offline PR gate in one process: a fresh render of every environment, every check over it (schema with
# unknown fields rejected, kustomization, policy, contract, references, API versions, capacity, cost, traffic), and
# the committed dist/ compared with it file by file.
echo "==> gate: render + every check + dist/ freshness"
node -r ts-node/register scripts/gate.ts >"$results/gate.log" || { cat "$results/gate.log"; status=1; }
tail -n 1 "$results/gate.log"

node scripts/summarize-jest.js "$results"
exit $status
