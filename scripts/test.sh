#!/usr/bin/env bash
# The whole test suite: unit tests, the integration tests (real gateway
# processes on loopback), the browser tests (headless Chromium through
# chromedriver), formatting and lints. Installs what it needs.
#
#   bash scripts/test.sh                 # what CI runs (.ci/run)
#   bash scripts/test.sh --screenshots   # also refresh docs/screenshots/
#
# Every run writes the browser tests' screenshots (every page, ja and en,
# desktop and phone) to target/tmp/screenshots/; --screenshots writes them
# to docs/screenshots/ instead, the set docs/pages.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  case "$arg" in
    --screenshots) export MFA_GATE_SCREENSHOTS=docs/screenshots ;;
    *) echo "usage: bash scripts/test.sh [--screenshots]" >&2; exit 2 ;;
  esac
done

# Debian's browser and its WebDriver for tests/it/browser/, and a Japanese
# font so that the Japanese pages render as text, not boxes. The runtimes of
# the differential tests' apps (tests/differential/: Werkzeug, Django, node,
# PHP, Go; Flask on gunicorn and waitress for the path tests); nginx and
# curl for scripts/cluster-demo.sh --check (tests/it/replicas.rs); npm only
# when no npm came with node.
EXTRA_PACKAGES=(chromium chromium-driver fonts-ipafont-gothic python3-aiosmtpd
  python3-werkzeug python3-django python3-flask python3-gunicorn python3-waitress
  nodejs php-cli golang-go nginx caddy curl)
command -v npm >/dev/null 2>&1 || EXTRA_PACKAGES+=(npm)
source scripts/ensure-deps.sh

# The differential tests' node apps: the npm `cookie` package (Express's
# cookie parser) and Express itself (the path tests' prefix mounts and
# catch-all), installed together under target/, not in the repository.
DIFF_DIR="${CARGO_TARGET_DIR:-target}/differential"
if [ ! -f "$DIFF_DIR/node_modules/cookie/package.json" ] \
  || [ ! -f "$DIFF_DIR/node_modules/express/package.json" ]; then
  echo "== npm install cookie express (differential tests)"
  mkdir -p "$DIFF_DIR"
  npm install --prefix "$DIFF_DIR" --no-save --no-package-lock --no-audit --no-fund \
    cookie@0.7.2 express@4.21.2 >/dev/null
fi

# The real apps of tests/it/apps/ (docs/recipes/), unmodified: MediaWiki
# from Debian (SQLite, served by `php -S`; without its recommends, so no
# Apache, MySQL or ImageMagick) and Jupyter Server from PyPI in a venv
# under target/. About 30 s each on a fresh machine (measured: apt 32 s,
# pip 28 s); nothing when present. PostgreSQL's server for the store's
# contract suite and tests/it/replicas.rs, which start private clusters
# (store::LocalPostgres), never the system's own.
APPS_PACKAGES=()
for pkg in mediawiki php-sqlite3 python3-venv postgresql; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
    || APPS_PACKAGES+=("$pkg")
done
if [ ${#APPS_PACKAGES[@]} -gt 0 ]; then
  echo "== installing ${APPS_PACKAGES[*]} (apt-get, real-app tests)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${APPS_PACKAGES[@]}" >/dev/null
fi
APPS_DIR="${CARGO_TARGET_DIR:-target}/apps"
if [ ! -x "$APPS_DIR/venv/bin/jupyter-server" ]; then
  echo "== pip install jupyter_server (real-app tests)"
  mkdir -p "$APPS_DIR"
  /usr/bin/python3 -m venv "$APPS_DIR/venv"
  "$APPS_DIR/venv/bin/pip" install -q 'jupyter_server>=2.14,<3'
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo check --no-default-features (the product without the demo and its test support)"
cargo check --locked --no-default-features
echo "== cargo test"
# A failing test's message and the logs it prints are what CI shows; a
# backtrace per panic would push them out of the excerpt.
export RUST_BACKTRACE=0
cargo test --locked --all-targets
