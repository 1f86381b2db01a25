#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then the installed files used three ways, each
# program run and merged (by the installed memscope-merge) with exact counts:
# find_package(memscope) (shared and static runtime), pkg-config, and the installed
# memscope-cc found relative to itself (make project).
# Usage: install.sh BUILD_DIR CLANG PROJECTS WORKDIR
source "$(dirname "$0")/lib.sh"
build=$1 clang=$2 projects=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 \
  || fail "cmake --install failed: $(cat "$work/install.log")"
merge=$prefix/bin/memscope-merge
libdir=$(dirname "$(find "$prefix/lib" -name libmemscope.so -print -quit)")
for f in bin/memscope-merge bin/memscope-cc bin/memscope-c++ bin/memscope lib/memscope/MemscopePass.so \
         include/memscope.h include/memscope/abi.h include/memscope/format.h \
         share/doc/memscope/README.md share/doc/memscope/wrappers.md; do
  [[ -e $prefix/$f ]] || fail "$f not installed"
done
for f in libmemscope.a libmemscope.so.0 pkgconfig/memscope.pc cmake/memscope/memscopeConfig.cmake; do
  [[ -e $libdir/$f ]] || fail "$f not installed in $libdir"
done

# check_run PROGRAM NAME: run PROGRAM in full mode; its profile has the exact counts.
check_run() {
  run_and_merge "$work/out-$2" MEMSCOPE_MODE=full "$1"
  expect_line "$work/out-$2.stdout" '^consumer: tracing 1, 0$' "$2 output"
  expect_fields totals allocations=123 frees=120 live_blocks.value=3 estimated=false
  expect_json 'count(processes.0.threads[?name=consumer-main])' 1 \
    "$2: thread name set through memscope.h"
  json_check "$work/out-$2.json"
}

# find_package(memscope), with a plain clang.
cp -r "$projects/common" "$projects/consumer" "$work/"
CC=$clang cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/cmake.log" 2>&1 || fail "find_package project: $(cat "$work/cmake.log")"
cmake --build "$work/consumer/build" >>"$work/cmake.log" 2>&1 || fail "build: $(cat "$work/cmake.log")"
check_run "$work/consumer/build/app" find_package
check_run "$work/consumer/build/app_static" find_package_static
readelf -d "$work/consumer/build/app_static" | grep libmemscope >/dev/null \
  && fail "app_static links libmemscope.so"
# The installed `memscope run` finds the installed merge and runtime.
"$prefix/bin/memscope" run -o "$work/run-installed" --mode full -- "$work/consumer/build/app" \
  >/dev/null 2>"$work/run-installed.err" || fail "installed memscope run: $(cat "$work/run-installed.err")"
expect_line "$work/run-installed/summary.txt" '^  allocations +123$' "installed memscope run: its summary"
[[ -s $work/run-installed/report.html ]] || fail "installed memscope run: no report.html"
"$prefix/bin/memscope" run -o "$work/run-preload" --mode full --preload -- ls /usr/bin >/dev/null \
  2>"$work/run-preload.err" || fail "installed memscope run --preload: $(cat "$work/run-preload.err")"
expect_line "$work/run-preload.err" 'no allocation site in ls was built with the memscope plugin' \
  "installed memscope run --preload: the installed runtime recorded ls"
# The same project with gcc: memscope_instrument stops the configuration and names the
# compiler, instead of a build that fails on -fpass-plugin.
if command -v gcc >/dev/null; then
  CC=gcc cmake -S "$work/consumer" -B "$work/consumer/build-gcc" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$work/cmake-gcc.log" 2>&1 && fail "find_package project configured with gcc"
  grep -q "memscope_instrument(app): the C compiler is GNU" "$work/cmake-gcc.log" ||
    fail "configuring with gcc: no message naming the compiler: $(cat "$work/cmake-gcc.log")"
  grep -q "plugin loads only into clang 19" "$work/cmake-gcc.log" ||
    fail "configuring with gcc: no word of the clang it needs: $(cat "$work/cmake-gcc.log")"
fi

# pkg-config: the plugin is a variable of the package.
export PKG_CONFIG_PATH=$libdir/pkgconfig
plugin=$(pkg-config --variable=plugin memscope)
expect_eq "$plugin" "$prefix/lib/memscope/MemscopePass.so" "pkg-config plugin variable"
expect_eq "$(pkg-config --modversion memscope)" "$(sed -n 's/^Version: //p' "$libdir/pkgconfig/memscope.pc")" "version"
# shellcheck disable=SC2046 # pkg-config's output is word lists
"$clang" -O2 -fpass-plugin="$plugin" -g $(pkg-config --cflags memscope) -I"$work/common" \
  "$work/consumer/app.c" "$work/common/counter.c" $(pkg-config --libs memscope) \
  -Wl,-rpath,"$(pkg-config --variable=libdir memscope)" -o "$work/app_pc" || fail "pkg-config build"
check_run "$work/app_pc" pkg-config
# shellcheck disable=SC2046 # echo trims pkg-config's trailing space
expect_eq "$(echo $(pkg-config --static --libs memscope))" "-L$libdir -lmemscope -lpthread -lm" "static libs"

# The installed wrapper: found on PATH, plugin and runtime found relative to itself.
PATH=$prefix/bin:$PATH bash "$(dirname "$0")/wrapper_projects.sh" make "$prefix/bin" "$merge" \
  "$projects" "$work/wrapper_make" || fail "the installed memscope-cc"
got=$(MEMSCOPE_WRAPPER_DRYRUN=1 "$prefix/bin/memscope-cc" a.o -o app)
expect_eq "$got" "clang-19 a.o -o app $libdir/libmemscope.so -Wl,-rpath,$libdir" "installed runtime"
echo "e2e install: all checks passed"
