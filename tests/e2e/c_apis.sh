#!/usr/bin/env bash
# Every C allocation API, function pointers and an optimizer-made calloc, compiled at
# -O2 with the plugin: run, merge, and check each site's calls and bytes against what
# programs/c_apis.c did.
# Usage: c_apis.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

run_and_merge "$work/run" MEMSCOPE_MODE=full "$program"
expect_line "$work/run.stdout" '^c_apis: done, posix_memalign\(align 3\) = 22$' "program ran"

expect_fields totals estimated=false allocations=381 failed_allocations=1 reallocs=20 \
  frees=381 unmatched_frees=0 bytes_allocated=73273 live_blocks.value=0

# calls bytes api function marker: the one site with that api at the marker's line.
check() {
  expect_site "at=c_apis.c:$(line_of "$source" "site:$5 */")" "$1" "$2" "$3" "$4" "site $5"
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
# zeroed returns what it allocated: an inferred wrapper (docs/pass.md), so main's call of
# it is the site, with zeroed's calloc as its first frame; the exported plain zeroed
# keeps a site of its own, which nothing calls.
zeroed_at="c_apis.c:$(line_of "$source" "site:malloc-memset */")"
expect_site "at=$zeroed_at,frames.1.function=main" 9 432 calloc zeroed "site malloc-memset, from main"
expect_json "sites[at=$zeroed_at,api=calloc,frames.1.function!=main].calls" 0 "the plain zeroed's own site"
check 9 432 free main free-zeroed
# Function pointers: counted where the address was taken.
check 13 312 malloc setup fp-alloc
check 13 312 free setup fp-release
# The static initializer's: in c_apis.c, at a line the test does not know.
initializer='frames.0.function=std_ops,frames.0.file~/c_apis\.c$'
expect_site "$initializer" 8 320 malloc std_ops "initializer's malloc"
expect_site "$initializer" 8 320 free std_ops "initializer's free"
# Every site exactly once: nothing counted twice, no stray site (the failed
# posix_memalign is a failed allocation, not a call).
expect_json 'count(sites[?calls>0])' 30 "sites with calls"
json_check "$work/run.json"
echo "e2e c_apis: all checks passed"
