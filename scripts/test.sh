#!/usr/bin/env bash
# Every check CI runs: formatting, lints (both the development build and the appliance's
# KMS-only build), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "the Debian packages the build needs are all in scripts/setup.sh"
scripts/check-packages.sh

step "the systemd unit, sysusers and D-Bus policy (verify, security exposure <= 2.0)"
scripts/check-units.sh

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy (desktop + KMS, all targets)"
cargo clippy --locked --all-targets -- -D warnings

step "cargo clippy (appliance build: KMS only, no desktop window)"
cargo clippy --locked --no-default-features --features kms -- -D warnings

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
