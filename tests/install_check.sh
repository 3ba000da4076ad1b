#!/bin/sh
# make install/uninstall into a temporary DESTDIR: the header, both
# libraries and memgate.pc arrive; a program builds against them with
# pkg-config (static and shared) and runs; uninstall removes everything;
# the shared library exports only memgate_* symbols.
set -eu
MAKE=${MAKE:-make}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/memgate-test
$MAKE -s install DESTDIR="$dest" PREFIX="$prefix" >/dev/null
for f in include/memgate.h include/memgate_cmocka.h lib/libmemgate.a lib/pkgconfig/memgate.pc lib/cmake/memgate/memgateConfig.cmake \
    lib/cmake/memgate/memgateConfigVersion.cmake bin/memgate-history-push; do
  [ -e "$dest$prefix/$f" ] || { echo "install_check: missing $f" >&2; exit 1; }
done
grep -qx "prefix=$prefix" "$dest$prefix/lib/pkgconfig/memgate.pc" || {
  echo "install_check: memgate.pc does not carry the install prefix $prefix:" >&2
  head -3 "$dest$prefix/lib/pkgconfig/memgate.pc" >&2; exit 1; }
[ -e "$dest$prefix/lib/libmemgate.so" ] || [ -e "$dest$prefix/lib/libmemgate.dylib" ] || { echo "install_check: no shared library" >&2; exit 1; }

cat > "$dest/use.c" <<'C'
#include <memgate.h>
#include <stdio.h>
static void body(void *ctx) { (void)ctx; }
int main(void) {
  memgate_footprint f;
  if (memgate_read(&f) != 0 || f.footprint_bytes == 0) return 1;
  if (MEM_REPEAT("install.check", 3, body, NULL) != MemgateVerdictPass) return 2;
  printf("installed memgate %s works\n", memgate_version());
  return 0;
}
C
export PKG_CONFIG_PATH="$dest$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
${CC:-cc} -std=c99 -Wall -Werror -o "$dest/use_static" "$dest/use.c" \
  $(pkg-config --cflags memgate) "$dest$prefix/lib/libmemgate.a" $(pkg-config --libs --static memgate | sed 's/-lmemgate//')
"$dest/use_static"
${CC:-cc} -std=c99 -Wall -Werror -o "$dest/use_shared" "$dest/use.c" $(pkg-config --cflags --libs memgate)
LD_LIBRARY_PATH="$dest$prefix/lib" "$dest/use_shared"

if command -v nm >/dev/null 2>&1 && [ -f "$dest$prefix/lib/libmemgate.so" ]; then
  bad=$(nm -D --defined-only "$dest$prefix/lib/libmemgate.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^memgate_' || true)
  [ -z "$bad" ] || { echo "install_check: unexpected exported symbols: $bad" >&2; exit 1; }
fi

$MAKE -s uninstall DESTDIR="$dest" PREFIX="$prefix" >/dev/null
left=$(find "$dest$prefix" \( -type f -o -type l \) 2>/dev/null | wc -l)
[ "$left" = 0 ] || { echo "install_check: uninstall left $left files" >&2; exit 1; }
echo "install_check: install, pkg-config build (static and shared), exports, uninstall: OK"
