#!/usr/bin/env bash
# A real third-party project, zlib from Debian's source package, built by its own
# configure and Makefile through memscope-cc; its own tests (`make test`: example and
# minigzip against the static, the shared and the 64-bit-offset libz; and infcover, the
# inflate coverage test behind `make cover`, with its own allocator, reallocs and forced
# allocation failures) run instrumented in full mode; every profile merged; and the
# merge's exact counts checked,
# site by site, against an independent count: the same suite run on an uninstrumented
# build (same clang, same -O2) under an LD_PRELOAD shim (real_project_count.c) that
# counts malloc/calloc/realloc/free calls by return address in zlib's own binaries.
#
# Usage: real_project.sh BINDIR MERGE CLANG TESTDIR CACHE WORKDIR
# (BINDIR holds memscope-cc; TESTDIR holds real_project_count.c and
# real_project_compare.py; CACHE keeps the downloaded source between runs.)
# Needs the network the first time, and a deb-src entry (scripts/setup adds it).
source "$(dirname "$0")/lib.sh"
bindir=$1 merge=$2 clang=$3 testdir=$4 cache=$5 work=$6
package=zlib
start=$SECONDS
rm -rf "$work" && mkdir -p "$work" "$cache"
work=$(realpath "$work") cache=$(realpath "$cache")

# --- The source: `apt-get source zlib`, once --------------------------------------------
src=$(find "$cache" -maxdepth 2 -name .memscope-complete -printf '%h\n' | head -1)
if [[ -z $src ]]; then
  command -v apt-get >/dev/null || fail "apt-get not found: this test needs Debian's apt"
  rm -rf "$cache/fetch" && mkdir -p "$cache/fetch"
  if ! (cd "$cache/fetch" && apt-get source -q "$package") >"$cache/fetch.log" 2>&1; then
    fail "cannot get the source of Debian's '$package' package (apt-get source $package):
it needs the network and a deb-src entry for bookworm (scripts/setup adds one, as root:
/etc/apt/sources.list.d/memscope-src.sources, then apt-get update). apt-get said:
$(tail -5 "$cache/fetch.log")"
  fi
  dir=$(find "$cache/fetch" -mindepth 1 -maxdepth 1 -type d -name "$package-*" | head -1)
  [[ -n $dir && -x $dir/configure ]] || fail "apt-get source $package gave no source tree: $(cat "$cache/fetch.log")"
  touch "$dir/.memscope-complete"
  src=$dir
fi
echo "source: $src"

# --- Two builds of the same tree: instrumented (the wrapper) and the reference ----------
# The reference adds line tables (for addr2line) and -fno-optimize-sibling-calls, so
# that `return malloc(n)` in zcalloc stays a call whose return address names zcalloc:
# neither changes which allocation calls are made.
build() { # build DIR CC CFLAGS
  cp -r "$src" "$1"
  rm -f "$1/.memscope-complete"
  (cd "$1" && MEMSCOPE_OUT=$work/conf-out CC=$2 CFLAGS=$3 ./configure >build.log 2>&1 &&
     make -j"$(nproc)" all infcover >>build.log 2>&1) || fail "building $1 failed: $(tail -30 "$1/build.log")"
}
inst=$work/inst ref=$work/ref
build "$inst" "$bindir/memscope-cc" "-O2"
build "$ref" "$clang" "-O2 -gline-tables-only -fno-optimize-sibling-calls"
for image in example minigzip examplesh infcover libz.so; do
  [[ $(nm "$inst/$image" 2>/dev/null | grep -c ' U __memscope_') -gt 0 ]] || fail "$image is not instrumented"
  [[ $(nm "$ref/$image" 2>/dev/null | grep -c __memscope_) -eq 0 ]] || fail "reference $image is instrumented"
done
echo "built: $((SECONDS - start)) s"

# --- zlib's own tests, instrumented: they must pass ----------------------------------------
# (`make cover` would run infcover, then gcov, which needs gcc's --coverage: run it alone.)
suite() { make test && ./infcover && echo "infcover OK"; }
mkdir -p "$work/out"
(cd "$inst" && export MEMSCOPE_MODE=full MEMSCOPE_OUT=$work/out && suite) >"$work/inst.test" 2>&1 ||
  fail "zlib's tests failed instrumented: $(cat "$work/inst.test")"
grep -qx "infcover OK" "$work/inst.test" || fail "infcover did not pass: $(cat "$work/inst.test")"
expect_eq "$(grep -c 'test OK' "$work/inst.test")" 3 "zlib's tests that passed (static, shared, 64-bit)"
grep -q FAILED "$work/inst.test" && fail "a zlib test failed: $(cat "$work/inst.test")"

# --- The same suite, uninstrumented, under the counting shim -----------------------------
"$clang" -O2 -Wall -shared -fPIC -o "$work/count.so" "$testdir/real_project_count.c" ||
  fail "cannot build the counting shim"
(cd "$ref" && export LD_PRELOAD=$work/count.so REAL_COUNT_OUT=$work/ref.counts \
   REAL_COUNT_PREFIX=$ref/ && suite) >"$work/ref.test" 2>&1 ||
  fail "zlib's tests failed under the shim: $(cat "$work/ref.test")"
[[ -s $work/ref.counts ]] || fail "the shim counted nothing"
# The profiler changes nothing the suite prints.
diff "$work/ref.test" "$work/inst.test" >"$work/test.diff" ||
  fail "the instrumented suite printed something else: $(cat "$work/test.diff")"

# --- Merge everything; compare ---------------------------------------------------------
files=("$work"/out/memscope.*.msgpack)
# example, examplesh, example64, minigzip{,sh,64} twice each (compress | decompress), infcover.
expect_eq "${#files[@]}" 10 "profiles written by the suite's 10 instrumented processes"
merge_to_json "$work/merge.json" "$work/out"
# Every profile complete and clean.
expect_json 'count(processes[?complete!=true])' 0 "incomplete profiles"
expect_json 'count(processes[?mode!=full])' 0 "profiles not in full mode"
expect_json 'count(processes[?end_reason!=exit])' 0 "profiles that did not end at exit"
expect_fields totals unmatched_frees=0 overwritten_blocks=0 estimated=false
json_check "$work/merge.json"
"$python" "$testdir/real_project_compare.py" "$work/merge.json" "$inst" "$work/ref.counts" "$ref" \
  >"$work/compare.txt" 2>&1 || fail "$(cat "$work/compare.txt")"
cat "$work/compare.txt"
# zlib's allocation paths must be among them: zcalloc/zcfree (reached through the
# strm->zalloc/zfree function pointers), gz_open, example.c's own calloc, and
# infcover's allocator (malloc, realloc, free).
for site in "malloc +zcalloc zutil.c:" "free +zcfree zutil.c:" "malloc +gz_open gzlib.c:" \
            "calloc +main test/example.c:" "malloc +mem_alloc test/infcover.c:" \
            "realloc +h2b test/infcover.c:" "free +mem_free test/infcover.c:"; do
  expect_line "$work/compare.txt" "^${site}[0-9]+ +[1-9][0-9]* +[1-9]" "site '$site'"
done
echo "e2e real_project: zlib's tests passed instrumented; $(grep '^MATCH' "$work/compare.txt" |
  cut -d' ' -f2-) agree with the shim; $((SECONDS - start)) s"
