#!/usr/bin/env bash
# Writes a picture of every screen to target/tour/, through the same headless renderer and
# button dispatch as the appliance. For machines with no display.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked --quiet
out=target/tour
mkdir -p "$out"
bin=target/debug/bedside
settings="down,right,right,ok"
while read -r name keys; do
  "$bin" snapshot --demo --out "$out/$name.png" --keys "${keys:-}"
  echo "  $out/$name.png"
done <<TOUR
01-home
02-watch ok
03-learn right,ok
04-my-health right,right,ok
05-call down,ok
06-ask down,right,ok
07-settings $settings
08-settings-large-text $settings,down,ok
09-home-large-text-high-contrast $settings,down,ok,down,ok,home
10-nurse-call nursecall
11-muted-captions mute,captions
12-results-trend right,right,ok,down,down,right,ok,ok
13-pin-choose $settings,down,down,down,down,ok
14-privacy right,right,ok,privacy
TOUR
