#!/bin/sh
# Makes sure the build dependencies are present: cmocka (tests) and cJSON
# (baselines and results), found through pkg-config. Installs them when it
# can (apt-get on Debian/Ubuntu as root or through sudo, brew on macOS);
# otherwise stops and prints the exact command to run.
#   harness/deps.sh [--check]   --check: only report, never install
set -eu
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing() {
  out=""
  command -v "$PKG_CONFIG" >/dev/null 2>&1 || { echo "pkg-config libcmocka-dev libcjson-dev"; return; }
  $PKG_CONFIG --exists cmocka || out="$out libcmocka-dev"
  $PKG_CONFIG --exists libcjson || out="$out libcjson-dev"
  echo $out
}

need=$(missing)
[ -z "$need" ] && exit 0

if [ "$(uname -s)" = Darwin ]; then
  brew_pkgs=$(echo "$need" | sed -e 's/libcmocka-dev/cmocka/' -e 's/libcjson-dev/cjson/' -e 's/pkg-config/pkg-config/')
  cmd="brew install $brew_pkgs"
  can=0; command -v brew >/dev/null 2>&1 && can=1
elif command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sudo=""; can=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo "; can=1
  else sudo="sudo "; can=0; fi
  cmd="${sudo}apt-get update && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y $need"
else
  cmd="install the development packages for:$need (cmocka and cJSON, with pkg-config files)"
  can=0
fi

if [ "$check_only" = 1 ] || [ "$can" = 0 ]; then
  echo "memgate: missing build dependencies:$need" >&2
  echo "memgate: run:  $cmd" >&2
  exit 1
fi
echo "memgate: installing missing dependencies:$need" >&2
sh -c "$cmd" >&2
need=$(missing)
if [ -n "$need" ]; then
  echo "memgate: still missing after install:$need" >&2
  exit 1
fi
