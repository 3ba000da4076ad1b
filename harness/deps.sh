#!/bin/sh
# Makes sure the build dependencies are present, found through pkg-config
# (or, for cJSON, by the compiler alone). Installs them when asked and able
# (apt-get on Debian/Ubuntu as root or through sudo, brew on macOS);
# otherwise stops and prints the exact command to run.
#   harness/deps.sh [--check] [--lib | --test]
#     --lib    only what the library, the examples and the memgate command
#              need: cJSON (a C compiler is assumed)
#     (none)   also cmocka, the test framework of `make test`
#     --test   also the tools the test suite uses: python3 (JUnit XML and
#              HTML checks), cmake (the find_package consumer test) and, on
#              Linux, chromium (the report's browser test)
#     --check  only report, never install
# `make`, `make lib` and `make install` run it with --lib --check: a plain
# library build never calls a package manager. `make deps`, `make demo` and
# `make test` let it install.
set -eu
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CC=${CC:-cc}
check_only=0
level=build
for a in "$@"; do
  case $a in
    --check) check_only=1 ;;
    --lib) level=lib ;;
    --test) level=test ;;
    *) echo "usage: harness/deps.sh [--check] [--lib | --test]" >&2; exit 2 ;;
  esac
done

# cJSON is there when pkg-config knows it or the compiler finds its header.
have_cjson() {
  if command -v "$PKG_CONFIG" >/dev/null 2>&1 && $PKG_CONFIG --exists libcjson; then return 0; fi
  printf '#include <cjson/cJSON.h>\nint main(void){return 0;}\n' |
    $CC -x c -E - >/dev/null 2>&1
}

missing() {
  out=""
  have_cjson || out="$out libcjson-dev"
  if [ "$level" != lib ]; then
    if command -v "$PKG_CONFIG" >/dev/null 2>&1; then
      $PKG_CONFIG --exists cmocka || out="$out libcmocka-dev"
    else
      out="$out pkg-config libcmocka-dev"
    fi
  fi
  if [ "$level" = test ]; then
    command -v python3 >/dev/null 2>&1 || out="$out python3"
    command -v "${CMAKE:-cmake}" >/dev/null 2>&1 || out="$out cmake"
    if [ "$(uname -s)" = Linux ] && [ "${REPORT_BROWSER:-}" != skip ]; then
      command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || out="$out chromium"
    fi
  fi
  # pkg-config comes along with cJSON: the Makefile finds cJSON's flags with it.
  case "$out" in *libcjson-dev*) command -v "$PKG_CONFIG" >/dev/null 2>&1 || out="pkg-config$out" ;; esac
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
  cmd="install the development packages for: $need (with pkg-config files)"
  can=0
fi

if [ "$check_only" = 1 ] || [ "$can" = 0 ]; then
  echo "memgate: missing build dependencies: $need" >&2
  echo "memgate: run:  $cmd" >&2
  [ "$check_only" = 1 ] && [ "$can" = 1 ] && echo "memgate: (or: make deps)" >&2
  exit 1
fi
echo "memgate: installing missing dependencies: $need" >&2
sh -c "$cmd" >&2
need=$(missing)
if [ -n "$need" ]; then
  echo "memgate: still missing after install: $need" >&2
  exit 1
fi
