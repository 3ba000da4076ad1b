#!/bin/sh
# mk/check-darwin.sh - the steps of `make check-darwin` (mk/darwin.mk calls
# this script once per step; docs/DESIGN.md, section 7, says what each one
# proves and what it does not).
#
#   sh mk/check-darwin.sh zig                 zig present, else pip install it
#   sh mk/check-darwin.sh prep                cJSON include shim and stub dylib
#   sh mk/check-darwin.sh unit                Darwin logic unit-tested on this machine
#   sh mk/check-darwin.sh static              the sampler hands phys_footprint to darwin_rev.c only
#   sh mk/check-darwin.sh sdk TARGET          zig has this target's SDK headers and libSystem
#                                             stub (macOS, Mac Catalyst): compile everything,
#                                             link, check the Mach-O type and the platform key
#   sh mk/check-darwin.sh approx TARGET       no SDK in zig (iOS, tvOS, watchOS, visionOS):
#                                             compile the library against zig's macOS headers,
#                                             check the platform key; nothing is linked
#   sh mk/check-darwin.sh objc TARGET         the Objective-C header and its macro test
#
# Run from the repository root. Settings come from the environment (mk/darwin.mk
# passes its variables): ZIG, DARWIN_PYTHON, DARWIN_ZIGLANG, DARWIN_BUILD,
# DARWIN_CFLAGS, DARWIN_OBJCFLAGS, DARWIN_CJSON_DIR, DARWIN_HOST_CC,
# DARWIN_HOST_CFLAGS, DARWIN_PKG_CONFIG, DARWIN_SYS_LIBS, DARWIN_SAMPLER_SRC,
# DARWIN_REV_SRC (the last two: the files the static check reads).
set -eu

ZIG=${ZIG:-python3 -m ziglang}
DARWIN_PYTHON=${DARWIN_PYTHON:-python3}
DARWIN_ZIGLANG=${DARWIN_ZIGLANG:-ziglang==0.17.1}
DARWIN_BUILD=${DARWIN_BUILD:-build/darwin}
DARWIN_CFLAGS=${DARWIN_CFLAGS:--std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror}
DARWIN_OBJCFLAGS=${DARWIN_OBJCFLAGS:--x objective-c -fobjc-arc -Wall -Wextra -Werror}
DARWIN_CJSON_DIR=${DARWIN_CJSON_DIR:-/usr/include/cjson}
DARWIN_HOST_CC=${DARWIN_HOST_CC:-cc}
DARWIN_HOST_CFLAGS=${DARWIN_HOST_CFLAGS:--std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror}
DARWIN_PKG_CONFIG=${DARWIN_PKG_CONFIG:-pkg-config}
DARWIN_SYS_LIBS=${DARWIN_SYS_LIBS:--lm -lpthread}

CPPFLAGS="-Iharness/include -Iharness/src -idirafter $DARWIN_BUILD/cjson-include"
SAMPLER=${DARWIN_SAMPLER_SRC:-harness/src/sampler_darwin.c}
REV=${DARWIN_REV_SRC:-harness/src/darwin_rev.c}
LINK_MAIN=tests/darwin_link_main.c
MACRO_TEST=tests/darwin_xct_macros.m

say() { echo "check-darwin: $*"; }
die() {
  echo "check-darwin: error: $*" >&2
  exit 1
}
zcc() { $ZIG cc "$@"; }
# Object name for a source path: harness/tool/main.c -> harness_tool_main.o
obj_name() { echo "$1" | tr / _ | sed 's/\.[cm]$/.o/'; }
lib_srcs() { ls harness/src/*.c; }
tool_srcs() { ls harness/tool/*.c 2>/dev/null || true; }
example_srcs() { ls examples/live_room/*.c 2>/dev/null || true; }

# --------------------------------------------------------------- targets

# What a target triple must report: "<os>[-simulator]-<arch>".
target_key() {
  t=$1
  case $t in
    aarch64-*-ilp32) arch=arm64_32 ;;
    aarch64-*) arch=arm64 ;;
    *) arch=${t%%-*} ;;
  esac
  os=$(echo "$t" | cut -d- -f2 | sed 's/\..*//')
  case $t in *-simulator) os=$os-simulator ;; esac
  echo "$os-$arch"
}

# `file`'s word for the architecture of a 64-bit Mach-O executable.
file_arch() {
  case $1 in aarch64-*) echo arm64 ;; *) echo "${1%%-*}" ;; esac
}

# zig's macOS header directory (any-darwin-any; older zig: any-macos-any).
macos_headers() {
  lib=$($ZIG env | sed -n 's/.*lib_dir"* *[=:] *"\([^"]*\)".*/\1/p')
  inc=
  for d in any-darwin-any any-macos-any; do
    [ -f "$lib/libc/include/$d/TargetConditionals.h" ] && inc=$lib/libc/include/$d
  done
  [ -n "$inc" ] || die "no macOS TargetConditionals.h under '$lib/libc/include'"
  echo "$inc"
}

# Extra flags for a target: approximated targets see zig's macOS headers.
target_flags() {
  case $1 in
    *-macos* | *-maccatalyst*) echo "" ;;
    *) echo "-isystem $(macos_headers)" ;;
  esac
}

# The key must be one whole NUL-terminated string in the file (the sampler
# object or a binary): watchos-arm64 does not pass for watchos-arm64_32.
check_key() {
  key=$(target_key "$1")
  tr '\000' '\n' <"$2" | grep -qx -- "$key" ||
    die "[$1] memgate_platform() does not report $key ($2)"
  say "[$1] platform key $key ($2)"
}

# ---------------------------------------------------------------- steps

step_zig() {
  if ! $ZIG version >/dev/null 2>&1; then
    say "zig not found ('$ZIG version' failed); running: $DARWIN_PYTHON -m pip install $DARWIN_ZIGLANG"
    if ! $DARWIN_PYTHON -m pip install "$DARWIN_ZIGLANG"; then
      echo "check-darwin: error: '$DARWIN_PYTHON -m pip install $DARWIN_ZIGLANG' failed." >&2
      die "install the ziglang wheel yourself (e.g. in a virtualenv) or pass ZIG=/path/to/zig."
    fi
    $ZIG version >/dev/null 2>&1 ||
      die "ziglang is installed but '$ZIG version' still fails; pass ZIG=/path/to/zig."
  fi
  say "zig $($ZIG version)"
}

# The cJSON include shim and, when some source needs it, the stub dylib.
step_prep() {
  mkdir -p "$DARWIN_BUILD/cjson-include"
  rm -f "$DARWIN_BUILD/cjson-include/cjson"
  # shellcheck disable=SC2046
  needs=$(grep -l 'cjson/cJSON\.h' /dev/null $(lib_srcs) $(tool_srcs) $(example_srcs) \
    $(ls harness/src/*.h harness/tool/*.h examples/live_room/*.h 2>/dev/null) || true)
  [ -n "$needs" ] || return 0
  [ -f "$DARWIN_CJSON_DIR/cJSON.h" ] ||
    die "$needs include <cjson/cJSON.h> but $DARWIN_CJSON_DIR/cJSON.h is missing (install libcjson-dev, or pass DARWIN_CJSON_DIR=...)"
  ln -s "$DARWIN_CJSON_DIR" "$DARWIN_BUILD/cjson-include/cjson"
  sed -n 's/^CJSON_PUBLIC([^)]*)[[:space:]*]*\(cJSON_[A-Za-z0-9_]*\)[[:space:]]*(.*/void \1(void); void \1(void) {}/p' \
    "$DARWIN_CJSON_DIR/cJSON.h" >"$DARWIN_BUILD/cjson_stub.c"
  [ -s "$DARWIN_BUILD/cjson_stub.c" ] || die "found no CJSON_PUBLIC functions in $DARWIN_CJSON_DIR/cJSON.h"
  say "cJSON headers from $DARWIN_CJSON_DIR; links use a stub libcjson.dylib ($(wc -l <"$DARWIN_BUILD/cjson_stub.c") names)"
}

# One host test program: name, then its sources; built and run here.
host_test() {
  name=$1
  shift
  echo "  HOSTCC $DARWIN_BUILD/host/$name"
  # shellcheck disable=SC2046,SC2086
  $DARWIN_HOST_CC $DARWIN_HOST_CFLAGS -Iharness/include -Iharness/src -Iexamples/xctest \
    $($DARWIN_PKG_CONFIG --cflags cmocka) $cjson_cflags "$@" -o "$DARWIN_BUILD/host/$name" \
    $($DARWIN_PKG_CONFIG --libs cmocka) $cjson_libs $DARWIN_SYS_LIBS
  "./$DARWIN_BUILD/host/$name"
}

# The Darwin logic that is plain C, run on this machine: TASK_VM_INFO
# revisions, the Darwin defaults through a scripted sampler, and the
# Objective-C helper's UTF-8 failure text.
step_unit() {
  mkdir -p "$DARWIN_BUILD/host"
  $DARWIN_PKG_CONFIG --exists cmocka || die "cmocka not found by $DARWIN_PKG_CONFIG (install libcmocka-dev)"
  $DARWIN_PKG_CONFIG --exists libcjson || die "libcjson not found by $DARWIN_PKG_CONFIG (install libcjson-dev)"
  cjson_cflags=$($DARWIN_PKG_CONFIG --cflags libcjson)
  cjson_libs=$($DARWIN_PKG_CONFIG --libs libcjson)
  host_test test_darwin_rev tests/test_darwin_rev.c "$REV"
  host_test test_xct_text tests/test_xct_text.c harness/src/errors.c
  # shellcheck disable=SC2046
  host_test test_darwin_defaults -Itests tests/test_darwin_defaults.c tests/support/scripted.c $(lib_srcs)
}

# Removes /* */ and // comments (line structure kept).
strip_comments() {
  awk '{ s = $0; o = ""
    while (s != "") {
      if (c) { i = index(s, "*/"); if (!i) break; s = substr(s, i + 2); c = 0; continue }
      i = index(s, "/*"); j = index(s, "//")
      if (j && (!i || j < i)) { o = o substr(s, 1, j - 1); break }
      if (i) { o = o substr(s, 1, i - 1) " "; s = substr(s, i + 2); c = 1; continue }
      o = o s; s = ""
    }
    print o }' "$1"
}

# Reads the comment-free sampler without preprocessor lines, one C statement
# (up to ';') at a time. A statement that mentions phys_footprint must be a
# copy into the vm struct (`vm.<field> = ...`) or the opt-in interval peak
# (`out->peak_bytes = ru.ri_interval_max_phys_footprint`); no statement may
# compare a count (the revision checks live in darwin_rev.c); the fields
# memgate__darwin_fill owns are never written here.
static_awk() {
  awk 'BEGIN { RS = ";" }
    function bad(why, s) { printf "check-darwin: static check: %s: %s\n", why, s; err = 1 }
    { s = $0; gsub(/[ \t\n]+/, " ", s); sub(/^ +/, "", s); n = split(s, p, /[{}]/); core = p[n]
      pre = substr(s, 1, length(s) - length(core)); sub(/^ +/, "", core); sub(/ +$/, "", core)
      if (pre ~ /phys_footprint/) bad("phys_footprint outside a plain vm assignment", s)
      else if (core ~ /phys_footprint/ && core !~ /^vm\.[a-z_]+ ?= ?[^=]/ &&
               core !~ /^out->peak_bytes ?= ?ru\.ri_interval_max_phys_footprint$/)
        bad("phys_footprint outside a plain vm assignment", core)
      t = s; gsub(/->/, "", t)
      if (t ~ /[Cc][Oo][Uu][Nn][Tt]/ && t ~ /[<>]/) bad("count compared outside darwin_rev.c", s)
      if (s ~ /(footprint_bytes|lifetime_peak_bytes|resident_bytes|internal_bytes|compressed_bytes)/)
        bad("field owned by memgate__darwin_fill written in the sampler", s)
      if (s ~ /memgate__darwin_fill *\(/) fill = 1 }
    END { if (!fill) bad("memgate__darwin_fill is never called", "-"); exit err }'
}

step_static() {
  strip_comments "$SAMPLER" | grep -v '^[[:space:]]*#' | static_awk ||
    die "$SAMPLER must pass raw task_vm_info fields to memgate__darwin_fill (darwin_rev.c)"
  strip_comments "$REV" | grep -Eq 'count *[<>]=? *vm->rev1_count|vm->rev1_count *[<>]=? *vm->count' ||
    die "$REV no longer compares the count with rev1_count"
  say "static check of $SAMPLER: ok"
}

# Compiles the library for a target into $out/lib (hidden visibility, as the
# Makefile builds it) and the private-interval sampler into $out/obj.
compile_lib() {
  t=$1 out=$2 flags=$3
  fail=0
  for src in $(lib_srcs); do
    echo "  CC [$t] $src"
    # shellcheck disable=SC2086
    zcc -target "$t" $flags $DARWIN_CFLAGS -fvisibility=hidden $CPPFLAGS -c "$src" \
      -o "$out/lib/$(basename "$src" .c).o" || fail=1
  done
  echo "  CC [$t] $SAMPLER -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL"
  # shellcheck disable=SC2086
  zcc -target "$t" $flags $DARWIN_CFLAGS -fvisibility=hidden $CPPFLAGS \
    -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL -c "$SAMPLER" -o "$out/obj/sampler_darwin_private.o" || fail=1
  [ $fail = 0 ] || die "[$t] compile failed (see above)"
}

new_out() {
  rm -rf "$1"
  mkdir -p "$1/lib" "$1/obj"
}

# Links $1 from the rest; the binary is checked with `file` afterwards.
link_bin() {
  b=$1
  shift
  echo "  LD [$t] $b"
  # shellcheck disable=SC2086
  zcc -target "$t" -o "$b" "$@" $libs || die "[$t] link of $b failed (see above)"
  bins="$bins $b"
}

# Links one program per source set that has exactly one main().
link_program() {
  name=$1
  shift
  [ $# -gt 0 ] || return 0
  mains=$(grep -l '^int main *(' "$@" | wc -l)
  if [ "$mains" != 1 ]; then
    echo "  -- [$t] $name: $mains files define main(); compiled, not linked"
    return 0
  fi
  objs=
  for s in "$@"; do objs="$objs $out/obj/$(obj_name "$s")"; done
  # shellcheck disable=SC2086
  link_bin "$out/$name" $objs $lib
}

# A target zig has an SDK for: everything compiles, the library links into
# Mach-O executables (default and private-interval builds), and so do the
# tool and the example.
step_sdk() {
  t=$1 out=$DARWIN_BUILD/$1
  command -v file >/dev/null 2>&1 || die "the 'file' command is missing (apt-get install file)"
  new_out "$out"
  compile_lib "$t" "$out" ""
  # shellcheck disable=SC2046
  for src in $(tool_srcs) $(example_srcs) "$LINK_MAIN"; do
    echo "  CC [$t] $src"
    # shellcheck disable=SC2086
    zcc -target "$t" $DARWIN_CFLAGS $CPPFLAGS -c "$src" -o "$out/obj/$(obj_name "$src")" ||
      die "[$t] compile of $src failed (see above)"
  done
  libs=$DARWIN_SYS_LIBS
  if [ -f "$DARWIN_BUILD/cjson_stub.c" ]; then
    zcc -target "$t" -shared -Wl,-install_name,@rpath/libcjson.dylib "$DARWIN_BUILD/cjson_stub.c" \
      -o "$out/libcjson.dylib"
    libs="-L$out -lcjson $libs"
  fi
  lib=$(ls "$out"/lib/*.o)
  bins=
  main=$out/obj/$(obj_name "$LINK_MAIN")
  # shellcheck disable=SC2086
  link_bin "$out/memgate_link_test" "$main" $lib
  # shellcheck disable=SC2046
  link_bin "$out/memgate_link_test_private" "$main" $(echo "$lib" | grep -v '/sampler_darwin\.o$') \
    "$out/obj/sampler_darwin_private.o"
  # shellcheck disable=SC2046
  link_program tool $(tool_srcs)
  # shellcheck disable=SC2046
  link_program live_room $(example_srcs)
  arch=$(file_arch "$t")
  for b in $bins; do
    desc=$(file -b "$b")
    echo "  FILE [$t] $b: $desc"
    case "$desc" in "Mach-O 64-bit $arch executable"*) ;;
      *) die "$b is not a Mach-O 64-bit $arch executable" ;;
    esac
  done
  check_key "$t" "$out/memgate_link_test"
}

# A target zig has no SDK for: the library against zig's macOS headers,
# which carry Apple's TargetConditionals.h logic for every Apple OS, so each
# target's branches and platform key are compiled. That OS's own SDK
# declarations are not checked, and nothing is linked (zig has no libSystem
# for devices; it links simulators against its macOS stub, which would prove
# nothing the macOS link does not).
step_approx() {
  t=$1 out=$DARWIN_BUILD/$1
  new_out "$out"
  compile_lib "$t" "$out" "$(target_flags "$t")"
  echo "  CC [$t] $LINK_MAIN"
  # shellcheck disable=SC2046
  zcc -target "$t" $(target_flags "$t") $DARWIN_CFLAGS $CPPFLAGS -c "$LINK_MAIN" \
    -o "$out/obj/$(obj_name "$LINK_MAIN")" || die "[$t] compile of $LINK_MAIN failed (see above)"
  check_key "$t" "$out/lib/sampler_darwin.o"
  check_key "$t" "$out/obj/sampler_darwin_private.o"
}

# Headers that need an Apple framework zig does not ship are reported, not
# compiled.
needs_framework() {
  grep -Eq '(#[[:space:]]*(import|include)[[:space:]]*<|@import[[:space:]]+)(Foundation|XCTest|UIKit|AppKit|CoreFoundation)\b' "$1"
}

# Plain Objective-C, every examples/xctest/*.h on its own, and the macro
# test (blocks with commas and array literals). No Apple target in zig has
# XCTest, so the macro test uses its stand-ins on every target.
step_objc() {
  t=$1 out=$DARWIN_BUILD/objc/$1
  rm -rf "$out"
  mkdir -p "$out"
  flags=$(target_flags "$t")
  printf '#import <objc/NSObject.h>\n@interface MemgateProbe : NSObject\n- (int)value;\n@end\n@implementation MemgateProbe\n- (int)value { @autoreleasepool { int (^f)(void) = ^{ return 1; }; return f(); } }\n@end\n' >"$out/probe.m"
  # shellcheck disable=SC2086
  zcc -target "$t" $flags $DARWIN_OBJCFLAGS -c "$out/probe.m" -o "$out/probe.o" ||
    die "zig cannot compile plain Objective-C for $t"
  for h in examples/xctest/*.h; do
    [ -f "$h" ] || continue
    if needs_framework "$h"; then
      echo "  -- [$t] $h needs an Apple framework zig does not ship (Foundation/XCTest/...): NOT checked"
      continue
    fi
    m=$out/$(basename "$h" .h).m
    printf '#import "%s"\n' "$(pwd)/$h" >"$m"
    echo "  OBJC [$t] $h"
    # shellcheck disable=SC2086
    zcc -target "$t" $flags $DARWIN_OBJCFLAGS $CPPFLAGS -c "$m" -o "${m%.m}.o" ||
      die "[$t] $h does not compile as Objective-C (see above)"
  done
  echo "  OBJC [$t] $MACRO_TEST (stand-ins for XCTFail, NSString, NSArray: zig has no XCTest)"
  # shellcheck disable=SC2086
  zcc -target "$t" $flags $DARWIN_OBJCFLAGS $CPPFLAGS -Iexamples/xctest -c "$MACRO_TEST" \
    -o "$out/$(basename "$MACRO_TEST" .m).o" || die "[$t] $MACRO_TEST does not compile (see above)"
}

step=${1:-}
[ $# -gt 0 ] && shift
case $step in
  zig | prep | unit | static) "step_$step" ;;
  sdk | approx | objc)
    [ $# = 1 ] || die "usage: $0 $step TARGET"
    "step_$step" "$1"
    ;;
  *) die "usage: $0 zig|prep|unit|static|sdk TARGET|approx TARGET|objc TARGET" ;;
esac
