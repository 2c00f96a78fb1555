#!/usr/bin/env bash
# `make run`: the appliance on the real path, with no hospital around. Starts a local FHIR R4
# server (sekmet-fhir, installed by setup into target/test-env), admits the demo patient (Synthea's
# Sina Yundt) to the demo bed on it, and runs bedside against it: sync, encrypted store and all.
# A desktop window when there is a desktop session, KMS/DRM when there is a display device; with
# neither, one sync pass and pictures of the screens instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked --quiet

demo=target/demo
rm -rf "$demo/server" "$demo/data"
mkdir -p "$demo/server"
[ -s "$demo/db-key" ] || (umask 077 && openssl rand -hex 32 > "$demo/db-key")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/fhir"

echo "Starting a local FHIR R4 server at $base (log: $demo/server/server.log)"
(cd "$demo/server" && SEKMET_BASE_URL="$base" SEKMET_DB="$PWD/sekmet.db" \
  exec ../../test-env/bin/sekmet serve --host 127.0.0.1 --port "$port" >server.log 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "$base/metadata" >/dev/null 2>&1 && break
  sleep 0.1
done
admitted=$(python3 scripts/fhir_seed.py "$base" demo --bundle assets/demo/sina-yundt.json \
  --bed "urn:bedside:demo:bed|3W-12A" --device "urn:bedside:demo:device|TV-DEMO" \
  --name "3 West, Room 12, Bed A")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$admitted" "$1"; }
echo "Making the demo TV head-end in target/demo/tv (three channels, a guide, a film, relaxation)."
tv_section=$(scripts/demo-tv.sh)
python3 scripts/fhir_seed.py "$base" ward --patient "$(field patient)" --encounter "$(field encounter)" \
  --media target/demo/tv >/dev/null
echo "Admitted the demo patient to the demo bed, with a care team, today's plan, a diet, and"
echo "four things to learn (two leaflets, a PDF leaflet and a captioned video)."

# Calls: bedside-call-server on loopback (docs/calls.md), as a hospital runs it: the box over TLS
# with its own certificate, the care-team page on plain loopback HTTP (a secure context for the
# camera) with a token. A demo CA of its own in target/demo/pki, made once (never a real one).
pki="$demo/pki"
if [ ! -s "$pki/token.key" ]; then
  rm -rf "$pki" && mkdir -p "$pki"
  (cd "$pki" && umask 077 &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
      -out ca.pem -days 3650 -subj "/CN=Bedside demo hospital CA" 2>/dev/null &&
    for who in server box; do
      subject="/CN=127.0.0.1"; ext="subjectAltName=IP:127.0.0.1"
      if [ "$who" = box ]; then subject="/CN=TV-DEMO"; ext="extendedKeyUsage=clientAuth"; fi
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$who.key" \
        -out "$who.csr" -subj "$subject" 2>/dev/null
      printf '%s\nbasicConstraints=CA:FALSE\n' "$ext" > "$who.cnf"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$who.pem" \
        -days 3650 -extfile "$who.cnf" 2>/dev/null
    done &&
    openssl rand 32 > token.key)
fi
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
page_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$demo/call-server.toml" <<EOF
# Written by scripts/run-demo.sh for \`make run\`. No [staff]: the demo has no staff directory,
# so the page's token comes from \`bedside-call-server token\`.
[listen]
tls = "127.0.0.1:$tls_port"
plain = "127.0.0.1:$page_port"
[tls]
certificate = "$PWD/$pki/server.pem"
key = "$PWD/$pki/server.key"
box_ca = "$PWD/$pki/ca.pem"
[tokens]
key_file = "$PWD/$pki/token.key"
[state]
dir = "$PWD/$demo/call-state"
# The demo box (its certificate says CN=TV-DEMO) serves the demo bed only.
[boxes]
"TV-DEMO" = "3W-12A"
EOF
BEDSIDE_LOG=warn target/debug/bedside-call-server --config "$demo/call-server.toml" \
  >"$demo/server/signalling.log" 2>&1 &
signalling=$!
trap 'kill $server $signalling 2>/dev/null || true' EXIT
token=$(target/debug/bedside-call-server --config "$demo/call-server.toml" token \
  --name "Ana Ruiz" --role Nurse)
support=$(target/debug/bedside-call-server --config "$demo/call-server.toml" token \
  --name "IT Help Desk" --role Support --kind support)
camera=auto
[ -e /dev/video0 ] || camera=test

cat >"$demo/bedside.toml" <<EOF
# Written by scripts/run-demo.sh for \`make run\`.
[device]
id = "urn:bedside:demo:device|TV-DEMO"
[bed]
location = "urn:bedside:demo:bed|3W-12A"
name = "3 West · Room 12 · Bed A"
[backend]
url = "$base"
poll_seconds = 5
[store]
data_dir = "$PWD/$demo/data"
key_file = "$PWD/$demo/db-key"
$tv_section
[call]
signalling_url = "wss://127.0.0.1:$tls_port/signalling"
ca_file = "$PWD/$pki/ca.pem"
client_cert = "$PWD/$pki/box.pem"
client_key = "$PWD/$pki/box.key"
camera = "$camera"
EOF
echo "Care-team calls: open http://127.0.0.1:$page_port/#token=$token"
echo "in a browser (signed in as Ana Ruiz, Nurse, for 12 hours) and call the bed, or call the"
echo "page from the TV's Call tile."
echo "Support desk (for the TV's \"Test call with support\", with the call's quality figures):"
echo "  http://127.0.0.1:$page_port/#token=$support"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || compgen -G "/dev/dri/card*" >/dev/null; then
  echo "Starting bedside. Keys: arrows move, Enter = OK, Esc/Backspace = Back, Home = Home,"
  echo "F12 = Power (standby), M = Mute, +/- = volume, N = nurse call. Close the window to quit."
  echo "Try: python3 scripts/fhir_seed.py $base discharge --encounter ID  (the bed empties)"
  target/debug/bedside --config "$demo/bedside.toml"
  exit 0
fi

echo "No display here (no X11/Wayland session, no /dev/dri): one sync pass, then pictures."
target/debug/bedside sync --once --config "$demo/bedside.toml"
mkdir -p target/tour
target/debug/bedside snapshot --config "$demo/bedside.toml" --out target/tour/00-home-synced.png
echo "  target/tour/00-home-synced.png (the synced patient, from the encrypted store)"
while read -r name keys; do
  target/debug/bedside snapshot --config "$demo/bedside.toml" --out "target/tour/$name.png" \
    --keys "$keys" --wait 2000 2>/dev/null
  echo "  target/tour/$name.png"
done <<WATCH
00-watch ok
00-watch-tv ok,ok
00-watch-guide ok,down,ok
00-watch-film ok,down,down,ok,ok
WATCH
scripts/tour.sh
echo "Open the PNGs above to see the appliance."
