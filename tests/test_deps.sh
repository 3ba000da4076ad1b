#!/bin/sh
# A plain library build needs only a compiler and cJSON, and never calls a
# package manager; `make deps` / `make test-deps` do install (issue 17, 8).
# Runs make against stub tools on PATH: pkg-config that knows only what
# STUB_HAVE lists, apt-get and sudo that record being called, id that says
# root (so deps.sh would be able to install).
set -eu
MAKE=${MAKE:-make}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stub=$tmp/bin
mkdir -p "$stub"
real_pc=$(command -v pkg-config)
cat > "$stub/pkg-config" <<SH
#!/bin/sh
# Knows the packages in \$STUB_HAVE; passes other queries to the real one.
for a in "\$@"; do
  case \$a in --*) ;; *) case " \$STUB_HAVE " in *" \$a "*) ;; *) exit 1 ;; esac ;; esac
done
exec "$real_pc" "\$@"
SH
printf '#!/bin/sh\necho "$0 $*" >> "%s/pm-called"\nexit 0\n' "$tmp" > "$stub/apt-get"
cp "$stub/apt-get" "$stub/sudo"
cp "$stub/apt-get" "$stub/brew"
printf '#!/bin/sh\necho 0\n' > "$stub/id"
# A compiler that cannot find cJSON's header on its own.
printf '#!/bin/sh\nexit 1\n' > "$stub/nocc"
chmod +x "$stub"/*
fail() { echo "test_deps: $*" >&2; exit 1; }
called() { [ -e "$tmp/pm-called" ]; }

# 1. cJSON missing: `make lib` fails, prints the command, calls nothing.
if PATH="$stub:$PATH" STUB_HAVE="" $MAKE -s lib BUILD="$tmp/b1" CC="$stub/nocc" \
    > "$tmp/out1" 2>&1; then fail "make lib succeeded without cJSON"; fi
grep -q 'missing build dependencies: libcjson-dev' "$tmp/out1" || { cat "$tmp/out1"; fail "no missing-cJSON message"; }
grep -q 'run:  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libcjson-dev' "$tmp/out1" ||
  { cat "$tmp/out1"; fail "no install command printed"; }
grep -q 'libcmocka' "$tmp/out1" && fail "make lib asked for cmocka"
called && fail "make lib called a package manager: $(cat "$tmp/pm-called")"

# 2. Only cmocka missing: `make lib` builds (a compiler and cJSON suffice).
PATH="$stub:$PATH" STUB_HAVE="libcjson" $MAKE -s -j2 lib BUILD="$tmp/b2" > "$tmp/out2" 2>&1 ||
  { cat "$tmp/out2"; fail "make lib failed with cJSON present and cmocka missing"; }
[ -f "$tmp/b2/libmemgate.a" ] || fail "make lib built no libmemgate.a"
called && fail "make lib called a package manager: $(cat "$tmp/pm-called")"

# 3. A cmocka test binary without cmocka, outside the install goals: the command, no call.
if PATH="$stub:$PATH" STUB_HAVE="libcjson" $MAKE -s "$tmp/b2/tests/test_disable" BUILD="$tmp/b2" \
    > "$tmp/out3" 2>&1; then fail "a cmocka test built without cmocka"; fi
grep -q 'apt-get install -y libcmocka-dev' "$tmp/out3" || { cat "$tmp/out3"; fail "no cmocka install command"; }
called && fail "a plain build called a package manager: $(cat "$tmp/pm-called")"

# 4. `make deps` and `make test-deps` install (here: call the stub).
PATH="$stub:$PATH" STUB_HAVE="libcjson" $MAKE -s deps BUILD="$tmp/b4" > "$tmp/out4" 2>&1 || true
grep -q 'apt-get install -y libcmocka-dev' "$tmp/pm-called" 2>/dev/null || { cat "$tmp/out4"; fail "make deps did not install cmocka"; }
rm -f "$tmp/pm-called"
PATH="$stub:$PATH" STUB_HAVE="libcjson" $MAKE -s test-deps BUILD="$tmp/b5" > "$tmp/out5" 2>&1 || true
grep -q 'libcmocka-dev' "$tmp/pm-called" 2>/dev/null || { cat "$tmp/out5"; fail "make test-deps did not install cmocka"; }
echo "test_deps: make lib needs only cJSON and calls no package manager; make deps/test-deps install: OK"
