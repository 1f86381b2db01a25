#!/usr/bin/env bash
# The APIs with inline fast paths (programs/inline_apis.cpp, a PIE at -O2): each site's
# exact calls and bytes, and the totals, the same in full mode (every call an event:
# the headers stay disarmed, every call takes a slow path) and in sampled mode with no
# sample point reached (every call that can stays on its fast path), with every
# allocation a sample (each allocation's slow path) and with some samples, and in leaks
# mode (every block into the live table).  Also: the
# program's own results (a throwing new reaches its handler, a nothrow new and an
# overflowing calloc return null, posix_memalign's error number).
# Usage: inline_apis.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

# calls bytes api marker: the one site with that api at the line that ends in
# "// site:MARKER" (bytes "-": not checked).
check() {
  local line
  line=$(awk -v m="// site:$4" 'substr($0, length($0) - length(m) + 1) == m {print NR; exit}' "$source")
  [[ -n $line ]] || fail "marker 'site:$4' not found in $source"
  expect_json "sites[at=inline_apis.cpp:$line,api=$3].calls" "$1" "$run: site $4: calls"
  [[ $2 == - ]] || expect_json "sites[at=inline_apis.cpp:$line,api=$3].bytes" "$2" "$run: site $4: bytes"
}

for run in full sampled:1000G sampled:1 sampled:4K leaks; do
  mode=${run%%:*} interval=${run#*:}
  vars=(MEMSCOPE_MODE=$mode)
  [[ $mode != sampled ]] || vars+=(MEMSCOPE_SAMPLE_INTERVAL=$interval MEMSCOPE_SEED=7)
  dir="$work/${run/:/_}"
  run_and_merge "$dir" "${vars[@]}" "$program"
  expect_line "$dir.stdout" '^calloc overflow: null$' "$run: an overflowing calloc returns null"
  expect_line "$dir.stdout" '^posix_memalign\(align 3\) = 22$' "$run: posix_memalign's error"
  expect_line "$dir.stdout" '^nothrow new: null$' "$run: a failing nothrow new returns null"
  expect_line "$dir.stdout" '^caught bad_alloc$' "$run: bad_alloc reaches the handler"
  expect_line "$dir.stdout" '^inline_apis: done$' "$run: the program ran to its end"
  # Freed bytes come from events: exact in full mode only.
  freed=-
  [[ $mode != full ]] || freed=1
  f() { [[ $freed == - ]] && echo - || echo "$1"; }
  check 100 4800 malloc malloc-const
  check 100 "$(f 4800)" free free-const
  check 60 1680 malloc malloc-var
  check 60 3840 calloc calloc
  check 60 7770 realloc realloc
  check 60 "$(f 3840)" free free-calloc
  check 60 "$(f 7770)" free free-realloc
  check 30 720 realloc realloc-null
  check 0 0 realloc realloc-zero     # frees its block and returns NULL: no block counted
  check 0 0 free free-null           # free(NULL) is no call to count
  check 0 0 calloc calloc-overflow
  check 20 5120 aligned_alloc aligned_alloc
  check 20 2110 memalign memalign
  check 20 4000 posix_memalign posix_memalign
  check 0 0 posix_memalign posix_memalign-einval
  check 20 "$(f 5120)" free free-aligned
  check 20 "$(f 2110)" free free-memalign
  check 20 "$(f 4000)" free free-posix
  check 40 320 new new
  check 40 "$(f 320)" delete delete
  check 40 1180 'new[]' 'new[]'
  check 40 "$(f 1180)" 'delete[]' 'delete[]'
  check 40 5120 new new-aligned
  check 40 "$(f 5120)" delete delete-aligned
  check 40 160 new new-nothrow
  check 40 "$(f 160)" delete delete-nothrow
  check 0 0 'new[]' new-nothrow-fails
  check 25 1000 malloc thread-malloc
  check 25 "$(f 1000)" free free-handed
  # 555 blocks: 465 freed by free and delete, 90 released by realloc (60 moved or grown,
  # 30 freed by realloc(p, 0); with the 30 of realloc(NULL, n), 120 reallocs), so none
  # is live: the releases are counted exactly.  (Full mode's frees are its FREE events,
  # a realloc's release included; sampled mode's the free sites' counts.)
  # (Leaks mode also counts libc's own few blocks, which the other modes here do not:
  # the sites above are its check.)
  frees=465
  [[ $mode != full ]] || frees=555
  [[ $mode == leaks ]] || expect_fields totals allocations=555 frees=$frees reallocs=120 \
    failed_allocations=3 bytes_allocated=37820 live_blocks.value=0 unmatched_frees=0
  [[ $mode != full ]] || expect_complete
  json_check "$dir.json"
done
echo "e2e inline_apis: all checks passed"
