#!/bin/sh
# deps.sh - the Debian packages the real-world corpus builds against, and
# the tools its report runs (valgrind, clang for LeakSanitizer). Installs
# what is missing when it can (apt-get as root or through password-less
# sudo); otherwise prints the exact command and exits 1. --check only
# reports. Like harness/deps.sh, which installs memgate's own dependencies.
set -eu
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
check_only=0
case ${1:-} in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: tests/realworld/deps.sh [--check]" >&2; exit 2 ;;
esac

# pkg-config module -> Debian package
PAIRS="libxml-2.0:libxml2-dev glib-2.0:libglib2.0-dev sqlite3:libsqlite3-dev
libcurl:libcurl4-gnutls-dev libcrypto:libssl-dev libpcre2-8:libpcre2-dev zlib:zlib1g-dev"

missing() {
  out=""
  command -v "$PKG_CONFIG" >/dev/null 2>&1 || out="pkg-config"
  for p in $PAIRS; do
    $PKG_CONFIG --exists "${p%%:*}" 2>/dev/null || out="$out ${p#*:}"
  done
  command -v valgrind >/dev/null 2>&1 || out="$out valgrind"
  command -v clang >/dev/null 2>&1 || out="$out clang"
  echo $out
}

need=$(missing)
[ -z "$need" ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sudo=""; can=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo "; can=1
  else sudo="sudo "; can=0; fi
  cmd="${sudo}apt-get update && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y $need"
else
  cmd="install the development packages for: $need"
  can=0
fi
if [ "$check_only" = 1 ] || [ "$can" = 0 ]; then
  echo "realworld: missing packages:$need" >&2
  echo "realworld: run:  $cmd" >&2
  exit 1
fi
echo "realworld: installing$need" >&2
sh -c "$cmd" >&2
need=$(missing)
[ -z "$need" ] || { echo "realworld: still missing after install: $need" >&2; exit 1; }
