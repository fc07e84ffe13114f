#!/usr/bin/env bash
# The one set-up command: installs every system tool that the tests and the demo use, then the npm
# packages. The README's first command and .ci/run both call it, so what a new user gets is what CI
# tested. For a fresh Debian 12 with Node 20, as root. Safe to run again: it installs only what is
# missing, and `npm ci` rebuilds node_modules from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# The list, one package a line with why it is here. A new tool goes here and nowhere else.
SYSTEM_PACKAGES=(
  nftables iptables iproute2   # network faults: nft, iptables, ip, tc (and nstat in the tests)
  stress-ng                    # cpu/memory/disk-io stress faults
  conntrack                    # DNS faults flush the resolver's conntrack entries
  procps                       # ps, kill, pkill
  util-linux e2fsprogs         # fallocate, nsenter, unshare, chrt; chattr (tests of read-only files)
  iperf3 iputils-ping dnsutils # the tests measure the faults' effects: iperf3, ping, dig
  curl                         # cmd probes and their tests
  prometheus openssl           # the prometheus probe's tests run a real server; TLS test certificates
  systemd-container            # systemd-nspawn: service and agent-unit tests boot a real systemd
  debootstrap                  # builds the Debian image those containers boot (once, then cached)
  ca-certificates              # npm reaches the registry over https
  build-essential python3      # node-gyp: better-sqlite3 compiles from source during npm ci
)

say() { printf '\n== setup: %s\n' "$*"; }

# the packages' engines: Node 20.19 or later (require() of ES modules, the versions CI runs)
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "setup: faultline needs Node.js 20.19 or later on PATH (found: $(node -v 2>/dev/null || echo none))." >&2
  exit 1
fi

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  say "all ${#SYSTEM_PACKAGES[@]} system packages are installed already"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: installing ${missing[*]} needs root: run it as root (sudo $0)." >&2
    exit 1
  fi
  say "installing ${#missing[@]} system package(s) with apt-get: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${SYSTEM_PACKAGES[@]}"
fi

say "installing the npm packages from package-lock.json (npm ci; better-sqlite3 compiles, ~1 min)"
npm ci --no-audit --no-fund

say "done: 'npm run demo' runs a real experiment, 'npm test' runs the tests (as root)"
