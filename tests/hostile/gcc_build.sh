#!/usr/bin/env bash
# The runtime built the plain CMake way (issue #13, item 8): no CC/CXX, so the system's
# default compiler (gcc on Debian), not the clang that scripts/build picks.  The stacks
# must still leave out the runtime's own frames: every runtime function has to be in the
# section memscope_text (stacks.c).  Builds the runtime and the merge with gcc, checks
# where their code went, then runs e2e/uninstrumented on them and a static-runtime
# program with stacks.  The pass is the main build's (g++ building it takes 1.5 min on
# 2 cores and changes nothing in the runtime).
source "$(dirname "$0")/lib.sh"
b=$MS_WORK/build

# --- Configure and build as a CMake user does ------------------------------------------
env -u CC -u CXX cmake -S "$MS_SOURCE_DIR" -B "$b" >"$MS_WORK/configure.log" 2>&1 ||
  { tail -20 "$MS_WORK/configure.log" >&2; fail "configuring with the default compiler"; }
id=$(sed -n 's/^set(CMAKE_C_COMPILER_ID "\(.*\)")$/\1/p' "$b"/CMakeFiles/*/CMakeCCompiler.cmake)
expect_eq "$id" GNU "the default C compiler (cc) of this system"
cmake --build "$b" --target memscope_shared memscope_static memscope-merge -j2 \
  >"$MS_WORK/build.log" 2>&1 || { tail -30 "$MS_WORK/build.log" >&2; fail "building with gcc"; }
so=$b/runtime/libmemscope.so.0 ar=$b/runtime/libmemscope.a merge=$b/merge/memscope-merge

# --- Every runtime function is in the section memscope_text ---------------------------
# No member of the archive (the same objects as the .so) keeps code in another text
# section (.text, .text.startup…), and the linked library has the section.
stray=$(objdump -h "$ar" | awk '$2 ~ /^\.text/ && $3 !~ /^0+$/ {print $2}' | sort -u | xargs)
[[ -z "$stray" ]] || fail "code left outside memscope_text in libmemscope.a: $stray"
readelf -SW "$so" | grep -q ' memscope_text ' || fail "libmemscope.so has no section memscope_text"

# --- Uninstrumented allocations (shared runtime): stacks start at the library --------
bash "$MS_SOURCE_DIR/tests/e2e/uninstrumented.sh" "$MS_CLANGXX" "$MS_PASS" "$b/runtime" \
  "$merge" "$MS_SOURCE_DIR/tests/e2e/programs" "$MS_WORK/uninstrumented" >"$MS_WORK/uninst.log" 2>&1 ||
  { cat "$MS_WORK/uninst.log" >&2; fail "e2e/uninstrumented against the gcc-built runtime"; }
expect_line "$MS_WORK/uninst.log" 'all checks passed' "e2e/uninstrumented"

# --- Static runtime, instrumented code with MEMSCOPE_STACK_DEPTH ----------------------
cat >static_stack.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
void *volatile sink;
__attribute__((noinline)) static void *make_one(size_t n) { return malloc(n); }
int main(void) {
  for (int i = 0; i < 300; i++) { sink = make_one(64 + i); free(sink); }
  puts("static_stack: done");
  return 0;
}
EOF
MS_RUNTIME_STATIC=$ar build_static static_stack static_stack.c
mkdir -p out
MEMSCOPE_MODE=full MEMSCOPE_STACK_DEPTH=4 MEMSCOPE_OUT=out ./static_stack >static_stack.out ||
  fail "static_stack run"
expect_line static_stack.out '^static_stack: done$' "static_stack output"
"$merge" --format json -o static_stack.json out/*.msgpack 2>/dev/null || fail "merge (static)"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = [s for s in d["sites"] if s["api"] == "malloc"]
print(" ".join("%d:%s:%s" % (st["est_calls"]["value"], s["frames"][0]["function"],
                              st["frames"][0]["function"])
               for s in m for st in s["stacks"] if st["frames"]))' static_stack.json)
# make_one returns what malloc returned: an inferred wrapper, so the site is main's call
# of it, with make_one's malloc as its first frame; the stack starts in main, since
# make_one's copy tail-calls the runtime.
expect_eq "$got" "300:make_one:main" "static runtime: malloc stacks (calls:site's first frame:stack's first frame)"
echo "hostile gcc_build: all checks passed"
