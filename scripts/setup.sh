#!/usr/bin/env bash
# Installs what building and testing Bedside needs on a fresh Debian 12 machine, and nothing
# that is already there. Safe to run again: it only acts on what is missing.
set -euo pipefail

# Every Debian package the build, `make run` and the tests need, with what each is for.
# scripts/check-packages.sh (part of `make test`) proves the build's share of this list complete:
# it notes every module the build asks pkg-config for and finds the package that owns it here.
PACKAGES=(
  # Building: a C compiler and pkg-config for the -sys crates; curl and CA roots for rustup.
  build-essential pkg-config curl ca-certificates git make
  # Slint's KMS backend (the appliance draws straight through DRM): libinput, libudev,
  # xkbcommon. Fonts: fontconfig finds fallback fonts for scripts our bundled font lacks
  # (libfontconfig-dev to build, libfontconfig1 at run time).
  libinput-dev libudev-dev libxkbcommon-dev libfontconfig-dev libfontconfig1
  # The encrypted store: SQLCipher is built in and takes its crypto from OpenSSL; openssl makes
  # the demo's and the tests' keys and certificates.
  libssl-dev openssl
  # GStreamer 1.22 to build against: GLib (glib, gobject, gio), core, base (app, video, SDP) and bad (WebRTC:
  # gstreamer-webrtc-1.0 comes only with libgstreamer-plugins-bad1.0-dev).
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  # GStreamer at run time: the player (playbin, appsink, videoconvertscale), the stream kinds
  # (UDP/RTP MPEG-TS, HLS, HTTP, files) and decoders (H.264, AAC, VP8/9, Opus); calls:
  # webrtcbin, its ICE (gstreamer1.0-nice), webrtcdsp, VP8, Opus; sound out and in through
  # ALSA (gstreamer1.0-alsa: what autoaudiosink/autoaudiosrc pick on a box without a sound
  # server); gst-launch-1.0 for the demo head-end and the tests' streams.
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-alsa
  gstreamer1.0-tools
  # Tests: udev checks systemd/70-bedside-input.rules (udevadm test); python3 + venv run the
  # FHIR test server and the schema validator; faketime runs the box with a wrong clock;
  # Chromium is the far end of the call tests (the care-team page, headless).
  udev python3 python3-venv faketime chromium
  # Tests of the appliance as it runs: a real X display (xvfb) with keys typed into the window
  # (xdotool), and a sound card for sound on (PulseAudio with a null sink, in real time, which
  # ALSA's own null device is not).
  xvfb xdotool pulseaudio
  # The staff identity service of the clinician sign-in tests: an OpenLDAP directory (slapd,
  # run by the tests as their own process on loopback over LDAPS) and its tools (slappasswd).
  slapd ldap-utils
  # The desktop window (`make run` on a desktop, and those tests): winit loads these X11
  # libraries at run time, so no build step asks for them (seen in /proc/PID/maps).
  libx11-6 libx11-xcb1 libxcursor1 libxi6 libxkbcommon-x11-0
  # Learn's PDF leaflets: poppler's pdfinfo and pdftoppm draw each page to a picture in a
  # process of their own (docs/learn.md says why a child and not a library in the UI), and
  # Liberation fonts, metric-compatible with Helvetica, Arial and Times, for PDFs that name
  # those fonts without embedding them (else poppler spaces letters oddly).
  poppler-utils fonts-liberation2
  # The STUN/TURN server of the call self-test tests ("Test my camera and sound" asks each
  # configured relay for a binding): coturn's turnserver, run by the tests on loopback.
  coturn
  # The call recovery test gives the box a network namespace of its own and changes its
  # address mid-call (ip netns, a veth pair): iproute2's ip.
  iproute2
  # The system layer's tests: systemd-analyze (verify, security), systemd-sysusers and busctl
  # (systemd); a private system bus (dbus-daemon); gdbus to watch its signals
  # (libglib2.0-bin); setpriv to call as an unprivileged user (util-linux).
  systemd dbus-daemon dbus-bin libglib2.0-bin util-linux
  # RAUC's update service, run by the tests on their private bus with a slot table of files and
  # a bootloader backend that writes down what it is told (the appliance marks its slot good).
  rauc rauc-service
)

if [ "${1:-}" = "--print-packages" ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

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

# The FHIR R4 test server (sekmet-fhir, for `make run` and the sync tests) and the schema
# validator, pinned, in a private virtualenv under target/ (nothing installed system-wide).
ENV_DIR="$(cd "$(dirname "$0")/.." && pwd)/target/test-env"
PY_PACKAGES=(sekmet-fhir==0.1.1 jsonschema==4.23.0)
if [ ! -x "$ENV_DIR/bin/sekmet" ] || ! "$ENV_DIR/bin/python3" -c 'import jsonschema' 2>/dev/null; then
  echo "setup: installing the FHIR test server into $ENV_DIR: ${PY_PACKAGES[*]}"
  mkdir -p "$(dirname "$ENV_DIR")"
  python3 -m venv "$ENV_DIR"
  "$ENV_DIR/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
fi

# The second FHIR engine for the sync tests (Medplum's FHIR router, tests/medplum), pinned by its
# package-lock.json. Node.js comes with the machine; Debian's is the fallback.
if ! command -v node >/dev/null 2>&1; then
  echo "setup: installing Node.js from Debian"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
MEDPLUM_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/medplum"
if [ ! -d "$MEDPLUM_DIR/node_modules/@medplum/fhir-router" ]; then
  echo "setup: installing the Medplum FHIR router test server (npm ci in tests/medplum)"
  (cd "$MEDPLUM_DIR" && npm ci --silent --no-audit --no-fund)
fi
