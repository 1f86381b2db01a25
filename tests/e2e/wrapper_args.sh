#!/usr/bin/env bash
# memscope-cc's argument handling, through MEMSCOPE_WRAPPER_DRYRUN (the command it would
# run): what it adds for each kind of invocation, and where it finds its files.
# Usage: wrapper_args.sh BINDIR PLUGIN RUNTIME_DIR WORKDIR (the build tree's wrapper)
source "$(dirname "$0")/lib.sh"
bindir=$1 plugin=$(realpath "$2") rt=$(realpath "$3") work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work"
unset MEMSCOPE_CC MEMSCOPE_CXX MEMSCOPE_PLUGIN MEMSCOPE_RUNTIME_DIR MEMSCOPE_RUNTIME

P="-fpass-plugin=$plugin"
G="-gline-tables-only"
R="$rt/libmemscope.so -Wl,-rpath,$rt"
RS="-Wl,--whole-archive $rt/libmemscope.a -Wl,--no-whole-archive '-Wl,--export-dynamic-symbol=__memscope_*' -lpthread -lm -ldl"

# check "EXPECTED" ARGS...: the dry run of memscope-cc ARGS prints EXPECTED.
check() {
  local expected=$1; shift
  local got
  got=$(MEMSCOPE_WRAPPER_DRYRUN=1 "$bindir/memscope-cc" "$@") || fail "memscope-cc $* failed"
  expect_eq "$got" "$expected" "memscope-cc $*"
}

# Compiling: plugin and line tables; a -g of the user's replaces the line tables.
check "clang-19 $P $G -c a.c -o a.o" -c a.c -o a.o
check "clang-19 $P -g -c a.c" -g -c a.c
check "clang-19 $P -O2 -ggdb3 -c a.c" -O2 -ggdb3 -c a.c
check "clang-19 $P $G -gsplit-dwarf -c a.c" -gsplit-dwarf -c a.c   # not a debug level
check "clang-19 $P $G -S a.c" -S a.c
check "clang-19 $P $G -c -MD -MF a.d -MT a.o a.c" -c -MD -MF a.d -MT a.o a.c
# Compile and link in one step: plugin, line tables, then the runtime after the inputs.
check "clang-19 $P $G -O2 a.c -o app $R" -O2 a.c -o app
# A -x LANG still in force at the end would read the runtime as LANG source: -x none first.
check "clang-19 $P $G -x c++ a.c -o app -x none $R" -x c++ a.c -o app
check "clang-19 $P $G -xc a.c -o app -x none $R" -xc a.c -o app
check "clang-19 $P $G -x c a.c -x none b.o -o app $R" -x c a.c -x none b.o -o app
# Nothing compiled: preprocessing, dependencies only, syntax only, assembly.
check "clang-19 -E a.c" -E a.c
check "clang-19 -M a.c" -M a.c
check "clang-19 -MM a.c" -MM a.c
check "clang-19 -fsyntax-only a.c" -fsyntax-only a.c
check "clang-19 -c s.S" -c s.S
check "clang-19 -x assembler-with-cpp -c s.x" -x assembler-with-cpp -c s.x
check "clang-19 $P $G -x c -c prog.txt" -x c -c prog.txt
check "clang-19 -x c -E -" -x c -E -
# Linking only: the runtime, no plugin, no line tables; -shared too, -r not.
check "clang-19 a.o b.o -o app $R" a.o b.o -o app
check "clang-19 -shared a.o -o liba.so $R" -shared a.o -o liba.so
check "clang-19 -r a.o b.o -o c.o" -r a.o b.o -o c.o
check "clang-19 a.o -L. -lfoo -o app $R" a.o -L. -lfoo -o app
# The user links everything: nothing added at link time.
check "clang-19 $P $G -nostdlib a.c -o app" -nostdlib a.c -o app
check "clang-19 a.o -nodefaultlibs -lc -o app" a.o -nodefaultlibs -lc -o app
# No input: queries pass through untouched.
check "clang-19 --version" --version
check "clang-19 -print-prog-name=ld" -print-prog-name=ld
check "clang-19 -dumpmachine" -dumpmachine
# Fully static programs get the static runtime.
check "clang-19 a.o -static -o app $RS" a.o -static -o app
# MEMSCOPE_RUNTIME: static (libraries then leave __memscope_* to the program), none.
export MEMSCOPE_RUNTIME=static
check "clang-19 a.o -o app $RS" a.o -o app
check "clang-19 -shared a.o -o liba.so" -shared a.o -o liba.so
export MEMSCOPE_RUNTIME=none
check "clang-19 $P $G a.c -o app" a.c -o app
unset MEMSCOPE_RUNTIME
# Response files are passed on as they are, and read to know what the command does.
printf '%s\n' '-c' '"a b.c"' >compile.rsp
check "clang-19 $P $G @compile.rsp -o a.o" @compile.rsp -o a.o
printf '%s\n' 'a.o' 'b.o' >objects.rsp
check "clang-19 @objects.rsp -o app $R" @objects.rsp -o app
# C++ by the name it is called by; MEMSCOPE_CC / MEMSCOPE_CXX choose the compiler.
got=$(MEMSCOPE_WRAPPER_DRYRUN=1 "$bindir/memscope-c++" -c a.cpp)
expect_eq "$got" "clang++-19 $P $G -c a.cpp" "memscope-c++ -c a.cpp"
ln -s "$bindir/memscope-cc" memscope-cxx
got=$(MEMSCOPE_WRAPPER_DRYRUN=1 MEMSCOPE_CXX=/opt/clang++ ./memscope-cxx a.o -o app)
expect_eq "$got" "/opt/clang++ a.o -o app $R" "memscope-cxx with MEMSCOPE_CXX"
# The environment comes first in the search order, and must name what exists.
cp "$plugin" other.so
got=$(MEMSCOPE_WRAPPER_DRYRUN=1 MEMSCOPE_PLUGIN=$PWD/other.so "$bindir/memscope-cc" -c a.c)
expect_eq "$got" "clang-19 -fpass-plugin=$PWD/other.so $G -c a.c" "MEMSCOPE_PLUGIN"
MEMSCOPE_PLUGIN=$PWD/none.so "$bindir/memscope-cc" -c a.c 2>err && fail "a missing MEMSCOPE_PLUGIN was accepted"
expect_line err "MEMSCOPE_PLUGIN=.*none\\.so: no such file" "missing MEMSCOPE_PLUGIN named"
# A wrapper with nothing around it says what it searched.
mkdir -p lone/bin && cp "$bindir/memscope-cc" lone/bin/
lone/bin/memscope-cc -c a.c 2>err && fail "a wrapper with no plugin ran"
expect_line err "cannot find MemscopePass\\.so; searched:" "plugin not found"
expect_line err "lone/bin/\\.\\./lib/memscope/MemscopePass\\.so" "installed location searched"
expect_line err "lone/bin/\\.\\./pass/MemscopePass\\.so" "build-tree location searched"
lone/bin/memscope-cc a.o -o app 2>err && fail "a wrapper with no runtime ran"
expect_line err "cannot find libmemscope\\.so; searched:" "runtime not found"
# A wrapper that would run itself stops.
MEMSCOPE_CC="$bindir/memscope-cc" "$bindir/memscope-cc" --version 2>err && fail "the wrapper ran itself"
expect_line err "MEMSCOPE_CC runs a memscope wrapper again" "loop detected"

# For real: each kind of invocation builds and runs.
cat >a.c <<'C'
#include <stdlib.h>
void *volatile sink;
int main(void) { sink = malloc(8); free(sink); return 0; }
C
cc=$bindir/memscope-cc
"$cc" -c a.c -o a.o && "$cc" a.o -o app1 && ./app1 || fail "compile, then link"
"$cc" a.c -o app2 && ./app2 || fail "compile and link"
MEMSCOPE_RUNTIME=static "$cc" a.c -o app3 && ./app3 || fail "static runtime"
nm app3 | grep ' T __memscope_malloc' >/dev/null || fail "static runtime not in the program"
"$cc" -E a.c | grep 'sink = malloc' >/dev/null || fail "-E"
"$cc" -S a.c -o a.s && grep -q __memscope_ a.s || fail "-S is instrumented"
# A compiler the plugin cannot load into: the failure names it and the clang it needs.
if command -v gcc >/dev/null; then
  MEMSCOPE_CC=gcc "$cc" a.c -o app4 2>err && fail "gcc with the plugin succeeded"
  expect_line err '^memscope-cc: gcc is "gcc .*"; memscope.s plugin loads only into clang 19: set MEMSCOPE_CC to clang-19$' \
    "gcc named"
fi
for other in clang++-14 clang++-16 clang++-18; do
  command -v $other >/dev/null || continue
  # (no crash reproducer: the plugin's failed load is a crash to that clang, and writing
  # one took most of a minute on a loaded machine)
  MEMSCOPE_CXX=$other "$bindir/memscope-c++" -fno-crash-diagnostics -x c++ a.c -o app5 2>err &&
    fail "$other with the plugin succeeded"
  expect_line err "^memscope-c\\+\\+: ${other//+/\\+} is \".*clang version [0-9]+.*\"; .* set MEMSCOPE_CXX to clang\\+\\+-19\$" \
    "$other named"
  break
done
# The right clang and a mistake in the code: clang's error only.
echo 'int main(void) { return undeclared; }' >bad.c
"$cc" bad.c -o app6 2>err && fail "bad.c compiled"
grep -q '^memscope-cc:' err && fail "a compile error blamed on the compiler: $(cat err)"
grep -q "undeclared" err || fail "clang's error not shown: $(cat err)"
echo "e2e wrapper_args: all checks passed"
