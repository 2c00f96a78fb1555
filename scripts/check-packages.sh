#!/usr/bin/env bash
# Proves scripts/setup.sh installs every Debian package the build needs, from what the build
# itself asks for (a fresh machine's `make run` once failed on a -dev package this machine's image
# happened to have, and CI passed because the CI machine had it too).
#
# How: every crate of the build that links a system library (the `-sys` crates and those with a
# `links` key, as `cargo tree` resolves them for this target and these features) has its build
# script run once more, in a target dir of its own, with `PKG_CONFIG` pointing at a wrapper that
# notes each module asked for. Each module's .pc file is mapped to the Debian package that owns
# it (`dpkg -S`), and that package must be in setup.sh's list. The result is cached by
# Cargo.lock's hash: a dependency change runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

work=target/package-check
mkdir -p "$work"
stamp="$work/passed-$(sha256sum Cargo.lock scripts/setup.sh scripts/check-packages.sh | sha256sum | cut -c1-16)"
if [ -e "$stamp" ] && [ -z "${BEDSIDE_CHECK_PACKAGES_AGAIN:-}" ]; then
  echo "check-packages: unchanged since it last passed ($(basename "$stamp"))"
  exit 0
fi

# The crates that link system libraries, as this build resolves them: the `-sys` crates `cargo
# tree` finds for this target and these features. (Crates with a `links` key but no `-sys` name,
# such as ring and rayon-core, link nothing of the system's; asking cargo to check one of those
# on its own also trips a cargo bug.)
host=$(rustc -vV | sed -n 's/^host: //p')
cargo tree --locked -e normal,build --prefix none --format '{p}' --target "$host" \
  >"$work/tree.txt" 2>/dev/null
mapfile -t crates < <(python3 - "$work/tree.txt" <<'PY'
import json, sys
built = set()
for line in open(sys.argv[1]):
    words = line.split()
    if len(words) >= 2 and words[1].startswith("v"):
        built.add((words[0], words[1][1:]))
for name, version in sorted(built):
    if name.endswith("-sys"):
        print(f"{name}@{version}")
PY
)
if ((${#crates[@]} == 0)); then
  echo "check-packages: cargo tree found no crate linking a system library" >&2
  exit 1
fi

# The wrapper notes what is asked and answers as pkg-config would.
real_pkg_config=$(command -v pkg-config)
asked="$PWD/$work/asked.txt"
: >"$asked"
cat >"$work/pkg-config" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$asked"
exec "$real_pkg_config" "\$@"
EOF
chmod +x "$work/pkg-config"

args=()
for c in "${crates[@]}"; do args+=(-p "$c"); done
echo "check-packages: running the build scripts of ${#crates[@]} crates that link system libraries"
# Their build scripts must run again to be heard: forget only these crates' builds.
CARGO_TARGET_DIR="$work/target" cargo clean --quiet "${args[@]}" 2>/dev/null || true
if ! PKG_CONFIG="$PWD/$work/pkg-config" CARGO_TARGET_DIR="$work/target" \
    cargo check --locked --quiet "${args[@]}" 2>"$work/cargo.log"; then
  echo "check-packages: the build scripts failed (a system library is missing?):" >&2
  grep -E "was not found|error" "$work/cargo.log" | head -20 >&2
  exit 1
fi

# Module names: the words of each query that are neither options, operators nor versions.
mapfile -t modules < <(tr ' ' '\n' <"$asked" |
  grep -vE '^(-|[<>=!]|[0-9]|$)' | sort -u)
listed=$(scripts/setup.sh --print-packages)
status=0
for m in "${modules[@]}"; do
  dir=$("$real_pkg_config" --variable=pcfiledir "$m" 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -e "$dir/$m.pc" ]; then
    echo "check-packages: the build asks pkg-config for '$m', which no installed package provides" >&2
    status=1
    continue
  fi
  pkg=$(dpkg -S "$dir/$m.pc" 2>/dev/null | head -1 | cut -d: -f1)
  if [ -z "$pkg" ]; then
    echo "check-packages: $dir/$m.pc belongs to no Debian package" >&2
    status=1
  elif grep -qxF "$pkg" <<<"$listed"; then
    printf '  %-22s %s\n' "$m" "$pkg"
  else
    echo "check-packages: the build needs $pkg (for pkg-config's '$m') but scripts/setup.sh does not install it" >&2
    status=1
  fi
done
if ((status == 0)); then
  rm -f "$work"/passed-*
  touch "$stamp"
  echo "check-packages: every system library the build asks for is installed by scripts/setup.sh"
fi
exit $status
