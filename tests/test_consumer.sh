#!/bin/sh
# A project of the user's own, out of this tree, against a staged install
# (make install DESTDIR=...): examples/cmocka copied to a directory not named
# memgate, built once with CMake (find_package(memgate CONFIG REQUIRED)) and
# once with pkg-config (its Makefile). Under `memgate run` the correct tests
# pass, and the leaky ones fail with memgate's message at the gated tests'
# lines in test_room.c: an existing test repeated from the test list
# (memgate_unit_test_repeat), a repeat checked with assert_memgate_pass, and
# MEM_LOOP with assert_memgate_last_pass (memgate_cmocka.h).
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

# The lines of the leaky build's failures, marked in test_room.c: "gate"
# where memgate reports the leak, "fails" where cmocka fails the test
# (memgate's assertion, with memgate's message).
gates=$(grep -n '/\* gate' examples/cmocka/test_room.c | cut -d: -f1)
fails=$(grep -n '/\* .*fails \*/' examples/cmocka/test_room.c | cut -d: -f1)
[ "$(echo $gates | wc -w)" = 3 ] || fail "expected 3 gate lines in examples/cmocka/test_room.c: $gates"
[ "$(echo $fails | wc -w)" = 3 ] || fail "expected 3 fails lines in examples/cmocka/test_room.c: $fails"

# check DIR: runs DIR's two binaries under memgate run.
check() {
  dir=$1 how=$2
  (cd "$dir" && LD_LIBRARY_PATH="$root/lib" "$root/bin/memgate" run -- ./test_room) > "$tmp/pass.log" 2>&1 ||
    { cat "$tmp/pass.log"; fail "$how: the correct room does not pass under memgate run"; }
  st=0
  (cd "$dir" && LD_LIBRARY_PATH="$root/lib" "$root/bin/memgate" run -- ./test_room_leaky) > "$tmp/leak.log" 2>&1 || st=$?
  [ "$st" = 1 ] || { cat "$tmp/leak.log"; fail "$how: the leaky room exits $st under memgate run, not 1"; }
  for l in $gates; do
    grep -q "^LEAK .*test_room\.c:$l: memory keeps growing" "$tmp/leak.log" ||
      { cat "$tmp/leak.log"; fail "$how: no memgate leak at test_room.c:$l"; }
  done
  for l in $fails; do
    grep -q "^\[   LINE   \] --- \(.*/\)\{0,1\}test_room\.c:$l: error: Failure!" "$tmp/leak.log" ||
      { cat "$tmp/leak.log"; fail "$how: cmocka did not fail a test at test_room.c:$l"; }
  done
  n=$(grep -c '^\[  ERROR   \] --- memgate: [a-z_.]*: leak: memory keeps growing' "$tmp/leak.log" || true)
  [ "$n" = 3 ] || { cat "$tmp/leak.log"; fail "$how: $n cmocka failures carry memgate's message, not 3"; }
  grep -q '0x1 != 0' "$tmp/leak.log" && { cat "$tmp/leak.log"; fail "$how: a failure reads 0x1 != 0"; }
  # The summary: one line per leak, leading with the heap's growth per
  # iteration (only the allocator view grew), printed once (MEMGATE_QUIET).
  n=$(grep -c '^LEAK .*test_room\.c:[0-9]*: memory keeps growing: +[0-9]* B per iteration .*detected by heap' "$tmp/leak.log" || true)
  [ "$n" = 3 ] || { cat "$tmp/leak.log"; fail "$how: $n summary lines lead with the heap's growth, not 3"; }
  n=$(grep -c 'error: memgate:' "$tmp/leak.log" || true)
  [ "$n" = 0 ] || { cat "$tmp/leak.log"; fail "$how: the test process printed $n failure lines the summary prints"; }
  echo "test_consumer: $how: correct passes; leaky fails with memgate's message at test_room.c:$(echo $fails | tr ' ' ',')"
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
