#!/usr/bin/env bash
# Build mfa-gate and run the demo: the bundled sample app behind the gateway.
# Open http://127.0.0.1:8080/login afterwards. Extra arguments go to
# `mfa-gate demo` (e.g. --port 9000 --data /tmp/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
cargo build --locked --release
exec target/release/mfa-gate demo "$@"
