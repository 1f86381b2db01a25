#!/usr/bin/env bash
# Allocation wrappers across files: each call of a wrapper is a site in its caller
# (two levels deep, declared by attribute or named in a list file), the allocation
# inside counts there once, and a function that is no wrapper is counted inside.
# Usage: wrappers.sh PROGRAM MERGE MAIN_SOURCE LIB_SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 main_src=$3 lib_src=$4 work=$5
rm -rf "$work" && mkdir -p "$work/out"

MEMSCOPE_MODE=full MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the profiled program wrote to stderr: $(cat "$work/stderr")"
expect_line "$work/stdout" '^wrappers: done$' "program ran"
files=("$work"/out/memscope.wrappers.*.msgpack)
expect_eq "${#files[@]}" 1 "one output file"
"$merge" --top 0 "${files[0]}" >"$work/summary" 2>"$work/merge.stderr" ||
  fail "merge failed: $(cat "$work/merge.stderr")"
section "$work/summary" "Totals" >"$work/totals"
expect_line "$work/totals" "^  allocations +49$" "total allocations: none counted twice"
expect_line "$work/totals" "^  bytes allocated +1248$" "total bytes"

at() { echo ".*/$(basename "$1" | sed 's/\./\\./g'):$(line_of "$1" "site:$2 */"):[0-9]+"; }
section "$work/summary" "Top sites by calls" | tail -n +2 >"$work/by_calls"
check() { # calls bytes api function file marker
  expect_line "$work/by_calls" "^ +$1 +$2 +$3 +$4 +$(at "$5" "$6")$" "site $6"
}
check 10 320 wrapper main "$main_src" call-xmalloc-a
check 20 320 wrapper main "$main_src" call-xmalloc-b
check 5 80 wrapper main "$main_src" call-xmalloc2
check 7 56 wrapper main "$main_src" call-xstrdup
check 3 72 wrapper main "$main_src" call-local
check 4 400 malloc plain_alloc "$lib_src" plain
# Inside the wrappers nothing is counted on its own.
for inner in inner-malloc inner-xmalloc inner-strdup; do
  grep -Eq "$(at "$lib_src" "$inner")$" "$work/by_calls" && fail "site $inner counted itself"
done
expect_eq "$(wc -l <"$work/by_calls")" 12 "sites with calls (6 allocating, 6 freeing)"
echo "e2e wrappers: all checks passed"
