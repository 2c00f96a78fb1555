#!/usr/bin/env bash
# Builds and starts `bedside --demo`: a desktop window when there is a desktop session, KMS/DRM
# when there is a display device. With neither it says so and writes a snapshot tour instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || compgen -G "/dev/dri/card*" >/dev/null; then
  cargo build --locked --quiet
  echo "Starting the demo. Keys: arrows move, Enter = OK, Esc/Backspace = Back, Home = Home,"
  echo "F12 = Power (standby), M = Mute, +/- = volume, N = nurse call. Close the window to quit."
  exec target/debug/bedside --demo
fi

echo "No display here (no X11/Wayland session, no /dev/dri): writing a tour of every screen instead."
scripts/tour.sh
echo "Open the PNGs above to see the appliance."
