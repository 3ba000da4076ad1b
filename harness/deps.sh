#!/bin/sh
# Makes sure the build dependencies are present: cmocka (tests) and cJSON
# (baselines and results), found through pkg-config. Installs them when it
# can (apt-get on Debian/Ubuntu as root or through sudo, brew on macOS);
# otherwise stops and prints the exact command to run.
#   harness/deps.sh [--check] [--test]
#     --check  only report, never install
#     --test   also the tools the test suite uses: python3 (JUnit XML and
#              HTML checks) and, on Linux, chromium (the report's browser test)
set -eu
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
check_only=0
for_tests=0
for a in "$@"; do
  case $a in
    --check) check_only=1 ;;
    --test) for_tests=1 ;;
    *) echo "usage: harness/deps.sh [--check] [--test]" >&2; exit 2 ;;
  esac
done

missing() {
  out=""
  command -v "$PKG_CONFIG" >/dev/null 2>&1 || { echo "pkg-config libcmocka-dev libcjson-dev"; return; }
  $PKG_CONFIG --exists cmocka || out="$out libcmocka-dev"
  $PKG_CONFIG --exists libcjson || out="$out libcjson-dev"
  if [ "$for_tests" = 1 ]; then
    command -v python3 >/dev/null 2>&1 || out="$out python3"
    if [ "$(uname -s)" = Linux ] && [ "${REPORT_BROWSER:-}" != skip ]; then
      command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || out="$out chromium"
    fi
  fi
  echo $out
}

need=$(missing)
[ -z "$need" ] && exit 0

if [ "$(uname -s)" = Darwin ]; then
  brew_pkgs=$(echo "$need" | sed -e 's/libcmocka-dev/cmocka/' -e 's/libcjson-dev/cjson/')
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
