#!/usr/bin/env bash
# Allocation wrappers across files: each call of a wrapper is a site in its caller
# (two levels deep, declared by attribute or named in a list file), the allocation
# inside counts there once, and a function that is no wrapper is counted inside.
# Usage: wrappers.sh PROGRAM MERGE MAIN_SOURCE LIB_SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 main_src=$3 lib_src=$4 work=$5
rm -rf "$work" && mkdir -p "$work"

run_and_merge "$work/run" MEMSCOPE_MODE=full "$program"
expect_line "$work/run.stdout" '^wrappers: done$' "program ran"
expect_json totals.allocations 49 "total allocations: none counted twice"
expect_json totals.bytes_allocated 1248 "total bytes"

at() { echo "$(basename "$1"):$(line_of "$1" "site:$2 */")"; }
check() { # calls bytes api function file marker
  expect_site "at=$(at "$5" "$6")" "$1" "$2" "$3" "$4" "site $6"
}
check 10 320 wrapper main "$main_src" call-xmalloc-a
check 20 320 wrapper main "$main_src" call-xmalloc-b
check 5 80 wrapper main "$main_src" call-xmalloc2
check 7 56 wrapper main "$main_src" call-xstrdup
check 3 72 wrapper main "$main_src" call-local
check 4 400 malloc plain_alloc "$lib_src" plain
# Inside the wrappers nothing is counted on its own (nor inlined elsewhere).
for inner in inner-malloc inner-xmalloc inner-strdup; do
  expect_json "count(sites[?any_frame=$(at "$lib_src" "$inner"),calls>0])" 0 "site $inner counted itself"
done
expect_json 'count(sites[?calls>0])' 12 "sites with calls (6 allocating, 6 freeing)"
json_check "$work/run.json"
echo "e2e wrappers: all checks passed"
