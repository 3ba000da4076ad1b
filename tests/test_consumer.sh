#!/bin/sh
# A project of the user's own, out of this tree, against a staged install
# (make install DESTDIR=...): examples/cmocka copied to a directory not named
# memgate, built once with CMake (find_package(memgate CONFIG REQUIRED)) and
# once with pkg-config (its Makefile). Under `memgate run` the correct tests
# pass, and the leaky ones fail with memgate's message at the gated test's
# line in test_room.c.
set -eu
MAKE=${MAKE:-make}
CMAKE=${CMAKE:-cmake}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/stage
prefix=/opt/memgate-consumer
$MAKE -s install DESTDIR="$dest" PREFIX="$prefix" >/dev/null
root=$dest$prefix
fail() { echo "test_consumer: $*" >&2; exit 1; }
for f in lib/cmake/memgate/memgateConfig.cmake lib/cmake/memgate/memgateConfigVersion.cmake; do
  [ -f "$root/$f" ] || fail "make install did not install $f"
done

# The lines memgate must name for the leaky build: every gated test, marked
# with "/* gate */" in test_room.c.
gates=$(grep -n '/\* gate \*/' examples/cmocka/test_room.c | cut -d: -f1)
[ -n "$gates" ] || fail "no /* gate */ line in examples/cmocka/test_room.c"

# check DIR: runs DIR's two binaries under memgate run.
check() {
  dir=$1 how=$2
  (cd "$dir" && LD_LIBRARY_PATH="$root/lib" "$root/bin/memgate" run -- ./test_room) > "$tmp/pass.log" 2>&1 ||
    { cat "$tmp/pass.log"; fail "$how: the correct room does not pass under memgate run"; }
  st=0
  (cd "$dir" && LD_LIBRARY_PATH="$root/lib" "$root/bin/memgate" run -- ./test_room_leaky) > "$tmp/leak.log" 2>&1 || st=$?
  [ "$st" = 1 ] || { cat "$tmp/leak.log"; fail "$how: the leaky room exits $st under memgate run, not 1"; }
  for l in $gates; do
    grep -q "test_room\.c:$l: .*memgate" "$tmp/leak.log" ||
      { cat "$tmp/leak.log"; fail "$how: no memgate failure at test_room.c:$l"; }
  done
  grep -q 'memory keeps growing' "$tmp/leak.log" || { cat "$tmp/leak.log"; fail "$how: not memgate's leak message"; }
  echo "test_consumer: $how: correct passes, leaky fails at test_room.c:$(echo $gates | tr ' ' ',')"
}

proj=$tmp/roomproject
cp -R examples/cmocka "$proj"
rm -rf "$proj/build"
"$CMAKE" -S "$proj" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$root" -DCMAKE_BUILD_TYPE=Debug \
  > "$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "cmake configure (find_package) failed"; }
"$CMAKE" --build "$tmp/cmake-build" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "cmake build failed"; }
check "$tmp/cmake-build" "CMake find_package"

pc=$tmp/roomproject-pc
cp -R examples/cmocka "$pc"
PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" $MAKE -s -C "$pc" \
  > "$tmp/pc.log" 2>&1 || { cat "$tmp/pc.log"; fail "pkg-config build failed"; }
check "$pc" "pkg-config"
