#!/usr/bin/env bash
# The system files in systemd/ as systemd and D-Bus will read them (part of `make test`):
#   - bedside.service: `systemd-analyze verify` prints nothing (it only warns on bad values, so
#     any output fails), and its offline `systemd-analyze security` exposure is 2.0 or less;
#   - bedside.sysusers: systemd-sysusers accepts it (a dry run into an empty root);
#   - the D-Bus policy: dbus-daemon starts on it (the bus tests in tests/system.rs use it too).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# verify resolves the unit's dependencies and executables under --root: the system's units, and
# stand-ins for the two programs the unit runs.
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
install -m 0755 /bin/true "$root/usr/bin/bedside"
install -m 0755 /bin/true "$root/usr/bin/busctl"
cp systemd/bedside.service "$root/usr/lib/systemd/system/"
out=$(systemd-analyze verify --root="$root" bedside.service 2>&1) || true
if [ -n "$out" ]; then
  printf 'systemd-analyze verify systemd/bedside.service:\n%s\n' "$out" >&2
  exit 1
fi

score=$(systemd-analyze security --offline=true --no-pager systemd/bedside.service 2>&1 \
  | sed -n 's/.*Overall exposure level for bedside.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
  echo "systemd-analyze security gave no score for systemd/bedside.service" >&2
  exit 1
fi
if awk -v s="$score" 'BEGIN { exit !(s > 2.0) }'; then
  echo "systemd/bedside.service: exposure $score, above 2.0" >&2
  systemd-analyze security --offline=true --no-pager systemd/bedside.service | grep '✗' >&2
  exit 1
fi
echo "bedside.service: verify clean, exposure $score"

systemd-sysusers --root="$root" --dry-run "$PWD/systemd/bedside.sysusers" >/dev/null 2>&1 || {
  systemd-sysusers --root="$root" --dry-run "$PWD/systemd/bedside.sysusers" >&2
  exit 1
}

cat > "$root/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$root/bus</listen>
<auth>EXTERNAL</auth><include>$PWD/systemd/io.github.bedside.Bedside1.conf</include></busconfig>
CONF
# (It warns that the group bedside-admin is unknown where sysusers has not made it: fine.)
dbus-daemon --config-file="$root/bus.conf" --fork --print-pid=1 >"$root/pid" 2>"$root/err" || {
  echo "dbus-daemon refused systemd/io.github.bedside.Bedside1.conf:" >&2
  cat "$root/err" >&2
  exit 1
}
kill "$(cat "$root/pid")"
echo "bedside.sysusers and io.github.bedside.Bedside1.conf: accepted"
