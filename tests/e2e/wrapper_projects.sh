#!/usr/bin/env bash
# A project built through memscope-cc by its own build system, run, merged, and checked
# for exact counts: `make CC=memscope-cc`, `./configure CC=memscope-cc && make`, or
# `cmake -DCMAKE_C_COMPILER=memscope-cc -DCMAKE_CXX_COMPILER=memscope-c++`.  Each builds
# libcounter.so (an instrumented -shared link) and the program linking it.
# Usage: wrapper_projects.sh make|configure|cmake BINDIR MERGE PROJECTS WORKDIR
# (BINDIR holds memscope-cc and memscope-c++, built or installed.)
source "$(dirname "$0")/lib.sh"
kind=$1 bindir=$2 merge=$3 projects=$4 work=$5
rm -rf "$work" && mkdir -p "$work/conf-out"
cp -r "$projects/common" "$projects/$kind" "$work/"
cd "$work/$kind"
cc=$bindir/memscope-cc cxx=$bindir/memscope-c++

log=$work/build.log
case $kind in
  make)
    make CC="$cc" >"$log" 2>&1 || fail "make failed: $(cat "$log")" ;;
  configure)
    # The run checks run instrumented programs: their profiles go to conf-out.
    MEMSCOPE_OUT=$work/conf-out ./configure CC="$cc" CFLAGS=-O2 >"$log" 2>&1 \
      || fail "configure failed: $(cat "$log") $(cat config.log)"
    ls "$work"/conf-out/memscope.conftest.*.msgpack >/dev/null 2>&1 \
      || fail "configure's run check did not run an instrumented program"
    make >>"$log" 2>&1 || fail "make failed: $(cat "$log")" ;;
  cmake)
    cmake -S . -B build -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 || fail "cmake failed: $(cat "$log")"
    cmake --build build >>"$log" 2>&1 || fail "build failed: $(cat "$log")"
    cd build ;;
  *) fail "unknown project kind $kind" ;;
esac

# Both images are instrumented: the library and the program call the runtime, and
# both name libmemscope.so (docs/pass.md, "Shared libraries").
for image in app libcounter.so; do
  nm -D --undefined-only "$image" | grep ' __memscope_' >/dev/null || fail "$image is not instrumented"
  readelf -d "$image" | grep 'NEEDED.*libmemscope\.so' >/dev/null || fail "$image does not link libmemscope.so"
done

run_and_merge "$work/out" MEMSCOPE_MODE=full ./app
expect_line "$work/out.stdout" '^app: 0$' "program output"
expect_fields totals allocations=123 frees=120 live_blocks.value=3 estimated=false
# Line tables were added (no -g given): sites have their file and line.
if [[ $kind == cmake ]]; then src=$work/cmake/app.cpp; else src=$work/common/app.c; fi
expect_json "count(sites[?at=$(basename "$src"):$(line_of "$src" "site:loop"),calls>0])" '>=' 1 \
  "the loop site's file and line"
expect_json "count(sites[?at=counter.c:$(line_of "$work/common/counter.c" "site:fill"),calls>0])" \
  '>=' 1 "the library's site"
json_check "$work/out.json"
echo "e2e wrapper_$kind: all checks passed"
