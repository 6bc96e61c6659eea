#!/usr/bin/env bash
# The whole test suite: unit tests, the integration tests (real gateway
# processes on loopback), formatting and lints. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test"
cargo test --locked --all-targets
