#!/usr/bin/env bash
# The load benchmark in one command (see BENCHMARKS.md): installs wrk and
# nginx through apt-get when missing (and valgrind for --callgrind), builds
# the release binary and the benchmark, runs it on loopback, prints the
# table. Results go to target/loadbench/latest.json unless --json says
# otherwise. Not part of CI (.ci/run only checks that it builds).
#
#   bash scripts/loadbench.sh                      # full run (~8 min on 2 cores)
#   bash scripts/loadbench.sh --quick              # smoke run (~1 min)
#   bash scripts/loadbench.sh --only a,b,f --rounds 5 --compare benches/load/baseline.json
#   bash scripts/loadbench.sh --only n             # enrollments per second (issue 35)
#   bash scripts/loadbench.sh --callgrind          # instructions per request (valgrind; `profiling` build)
#   bash scripts/loadbench.sh --help               # every option
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRA_PACKAGES=()
command -v wrk >/dev/null 2>&1 || EXTRA_PACKAGES+=(wrk)
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  # Debian 12 has the small nginx-light (with auth_request); later
  # releases fold it into nginx.
  if apt-cache show nginx-light >/dev/null 2>&1; then
    EXTRA_PACKAGES+=(nginx-light)
  else
    EXTRA_PACKAGES+=(nginx)
  fi
fi
command -v setpriv >/dev/null 2>&1 || EXTRA_PACKAGES+=(util-linux)
for arg in "$@"; do
  if [ "$arg" = "--callgrind" ] && ! command -v valgrind >/dev/null 2>&1; then
    EXTRA_PACKAGES+=(valgrind)
  fi
done
source scripts/ensure-deps.sh

# --callgrind counts instructions of a build with line tables (the
# `profiling` profile: release code, debug = 1); the release build the
# other runs measure ships without debug info.
PROFILE=(--profile bench)
for arg in "$@"; do
  if [ "$arg" = "--callgrind" ]; then PROFILE=(--profile profiling); fi
done
echo "== building (${PROFILE[1]}) and running the load benchmark"
cargo bench --locked "${PROFILE[@]}" --bench load --no-run
# The gateway measured is built on its own, as `cargo build --release`
# ships it: built beside the benchmark, cargo would give it the features
# the dev-dependencies ask for (tokio's "full", reqwest's extras), and that
# binary's challenge p99 at 16 in flight is ~1.5 ms worse (BENCHMARKS.md,
# issue 35 §6). A `--gateway` of the caller's comes later and wins.
BIN_PROFILE=(--release)
if [ "${PROFILE[1]}" = "profiling" ]; then BIN_PROFILE=(--profile profiling); fi
cargo build --locked "${BIN_PROFILE[@]}" --bin mfa-gate
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN_DIR=release
if [ "${PROFILE[1]}" = "profiling" ]; then BIN_DIR=profiling; fi
mkdir -p "$TARGET_DIR/loadbench"
cp "$TARGET_DIR/$BIN_DIR/mfa-gate" "$TARGET_DIR/loadbench/mfa-gate-as-shipped"
exec cargo bench --locked "${PROFILE[@]}" --bench load -- \
  --gateway "$TARGET_DIR/loadbench/mfa-gate-as-shipped" "$@"
