#!/usr/bin/env bash
# Installs the system packages mfa-gate's build and tests need, when missing.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run repeatedly.
# A caller that needs more Debian packages lists them in EXTRA_PACKAGES
# (a bash array) before sourcing this file.
set -euo pipefail

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
# webauthn-rs (passkeys) links OpenSSL: its headers and pkg-config.
for pkg in libssl-dev pkg-config "${EXTRA_PACKAGES[@]:-}"; do
  [ -n "$pkg" ] || continue
  # Installed for real (not merely known, or removed with its config kept).
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
    || need_apt+=("$pkg")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt-get)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "mfa-gate needs a Rust toolchain (1.89 or newer, edition 2024)." >&2
  echo "Install it with rustup (https://rustup.rs), then run this command again." >&2
  exit 1
fi
