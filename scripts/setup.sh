#!/usr/bin/env bash
# Installs what building and testing Bedside needs on a fresh Debian 12 machine, and nothing
# that is already there. Safe to run again: it only acts on what is missing.
set -euo pipefail

# Build: libinput/udev/xkbcommon for Slint's KMS backend (the appliance reads the display
# straight through DRM), pkg-config and a C compiler for the -sys crates.
# Run time: fontconfig finds fallback fonts for scripts our bundled font lacks.
# Tests: udev checks systemd/70-bedside-input.rules (udevadm test).
PACKAGES=(
  build-essential pkg-config curl ca-certificates git make
  libinput-dev libudev-dev libxkbcommon-dev libfontconfig1
  udev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
      --default-toolchain 1.95.0 --component rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true
