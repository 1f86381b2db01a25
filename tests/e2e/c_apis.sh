#!/usr/bin/env bash
# Every C allocation API, function pointers and an optimizer-made calloc, compiled at
# -O2 with the plugin: run, merge, and check each site's calls and bytes against what
# programs/c_apis.c did.
# Usage: c_apis.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work/out"

MEMSCOPE_MODE=full MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the profiled program wrote to stderr: $(cat "$work/stderr")"
expect_line "$work/stdout" '^c_apis: done, posix_memalign\(align 3\) = 22$' "program ran"
files=("$work"/out/memscope.c_apis.*.msgpack)
expect_eq "${#files[@]}" 1 "one output file"
"$merge" --top 0 "${files[0]}" >"$work/summary" 2>"$work/merge.stderr" ||
  fail "merge failed: $(cat "$work/merge.stderr")"

section "$work/summary" "Totals" >"$work/totals"
for kv in "allocations 381" "failed allocations 1" "reallocs 20" "frees 381" \
          "unmatched frees 0" "bytes allocated 73273" "live blocks at exit 0"; do
  expect_line "$work/totals" "^  ${kv% *} +${kv##* }$" "total '$kv'"
done

loc() { echo ".*/c_apis\\.c:$(line_of "$source" "site:$1 */"):[0-9]+"; }
section "$work/summary" "Top sites by calls" | tail -n +2 >"$work/by_calls"
# calls bytes api function marker: one row per site, exactly.
check() {
  expect_line "$work/by_calls" "^ +$1 +$2 +$3 +$4 +$(loc "$5")$" "site $5"
}
check 100 1600 malloc main malloc
check 100 1600 free main free-malloc
check 50 1600 calloc main calloc
check 20 1600 reallocarray main reallocarray
check 30 3840 aligned_alloc main aligned_alloc
check 25 6400 posix_memalign main posix_memalign
check 15 1500 memalign main memalign
check 12 2400 valloc main valloc
check 11 3300 pvalloc main pvalloc
check 40 600 strdup main strdup
check 35 175 strndup main strndup
check 7 42 strdup main __strdup
check 6 49152 mmap main mmap
check 6 49152 munmap main munmap
# malloc + memset became calloc: recorded as what runs.
check 9 432 calloc zeroed malloc-memset
check 9 432 free main free-zeroed
# Function pointers: counted where the address was taken.
check 13 312 malloc setup fp-alloc
check 13 312 free setup fp-release
expect_line "$work/by_calls" "^ +8 +320 +malloc +std_ops +.*/c_apis\\.c:[0-9]+$" "initializer's malloc"
expect_line "$work/by_calls" "^ +8 +320 +free +std_ops +.*/c_apis\\.c:[0-9]+$" "initializer's free"
# Every site exactly once: nothing counted twice, no stray site (the failed
# posix_memalign is a failed allocation, not a call).
expect_eq "$(wc -l <"$work/by_calls")" 30 "sites with calls"
echo "e2e c_apis: all checks passed"
