#!/usr/bin/env bash
# The README's test command (`npm test`, or `bash scripts/test.sh` on a fresh clone): installs what the tests need
# on a fresh Debian machine (as root), then runs every test tier and prints one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tiers use: shellcheck for the scripts; tier 4 runs real servers configured from dist/.
APT_PACKAGES=(
  shellcheck openssl prometheus prometheus-alertmanager redis-server redis-tools
  postgresql-15 postgresql-15-postgis-3 postgresql-15-cron postgresql-contrib pgbouncer pgbackrest patroni etcd-server etcd-client
)

install_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
      exit 1
    fi
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

run_jest() { # name, then jest arguments
  local name=$1
  shift
  echo "==> jest: $name"
  npx jest --json --outputFile="$results/$name.json" "$@"
}

install_system_packages
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

echo "==> typecheck (tsc, strict)"
npx tsc -p tsconfig.json

echo "==> shellcheck"
shellcheck scripts/*.sh scripts/ci/*.sh .ci/run

status=0
# Tier 1 (unit: config, naming, versions) and tier 2 (synth assertions, cdk-nag) per package.
for pkg in constructs-lib infra-aws k8s-manifests delivery verify; do
  (cd "packages/$pkg" && run_jest "$pkg" --silent) || status=1
done
# Tier 3 (rendered output: layout, byte-identical renders, dist/ up to date, failed render leaves dist/ intact).
run_jest render -c jest.scripts.config.js --silent || status=1
# Tier 4 (real servers on loopback, configured from the rendered dist/ YAML).
run_jest real-servers -c jest.real-servers.config.js || status=1
# Tier 3 gates over the committed dist/k8s: schemas (unknown fields rejected), kustomization, policy rules.
echo "==> gates: dist/k8s"
node --import tsx packages/k8s-manifests/src/gates/cli.ts || status=1
# Cross-stack proofs over the committed dist/: contract, references, API versions, capacity, cost, traffic.
echo "==> verify: dist/"
node --import tsx packages/verify/bin/verify.ts >"$results/verify.log" || { cat "$results/verify.log"; status=1; }
tail -n 1 "$results/verify.log"

node scripts/summarize-jest.js "$results"
exit $status
