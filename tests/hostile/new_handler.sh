#!/usr/bin/env bash
# operator new's new_handler loop (programs/new_handler.cpp): libstdc++'s operator new
# calls malloc (aligned_alloc) again after the handler ran, and the handler's own
# `delete[] reserve` clears the flag that keeps the operator's calls out of the
# uninstrumented counts.  Each block must be counted once, at its site: a retry counted
# again under the uninstrumented malloc made the block recorded twice (full mode:
# overwritten blocks; sampled mode: live blocks over-estimated), and a retry that failed
# a failed allocation that never reached the program.  -O0 and -O2, full and sampled.
source "$(dirname "$0")/lib.sh"
merge=$MS_MERGE
export MEMSCOPE_UNINSTRUMENTED=1 # the retries went there
src=$MS_PROGRAMS/new_handler.cpp
expected="new_handler: 6 touched, 3 thrown, 3 nulls, 15 handler calls"

# site MARKER CALLS BYTES API FUNCTION
site() {
  expect_site "at=new_handler.cpp:$(line_of "$src" "// site:$1")" "$2" "$3" "$4" "$5" "$1"
}
mib=$((1 << 20))
for opt in O0 O2; do
  "$MS_CLANGXX" -$opt -g -fpass-plugin="$MS_PASS" "$src" -L"$MS_RUNTIME_DIR" -lmemscope \
    -Wl,-rpath,"$MS_RUNTIME_DIR" -o nh_$opt || fail "building nh_$opt"
  for mode in full sampled; do
    run_and_merge "run_${opt}_$mode" MEMSCOPE_MODE=$mode ./nh_$opt
    expect_eq "$(cat "run_${opt}_$mode.stdout")" "$expected" "-$opt $mode: output"
    site first-reserve 1 $((256 * mib)) 'new[]' main
    site retry-new 3 $((600 * mib)) 'new[]' main
    site retry-aligned 3 $((600 * mib)) 'new[]' main
    site reserve-again 3 $((768 * mib)) 'new[]' main
    site reserve-aligned 3 $((768 * mib)) 'new[]' main
    site small-reserve 3 3000 'new[]' main
    site fails 0 0 'new[]' main
    site nothrow-fails 0 0 'new[]' main
    expect_json "sites[at=new_handler.cpp:$(line_of "$src" "// site:nothrow-fails")].counts.failed_allocations" \
      3 "nothrow new: 3 failed"
    site retry-delete 3 - 'delete[]' main
    site retry-aligned-delete 3 - 'delete[]' main
    site handler-delete 9 - 'delete[]' release_reserve
    # The retries are not counted again: no block of 1 MiB or more, no failure, in
    # uninstrumented code (which made only libc's and the exceptions' small blocks).
    expect_json "sites[uninstrumented=true,api=malloc].sizes.max" '<' $mib "uninstrumented malloc: small blocks only"
    expect_json "sites[uninstrumented=true,api=aligned_alloc].calls" 0 "uninstrumented aligned_alloc: none"
    expect_json "count(sites[?uninstrumented=true,counts.failed_allocations>0])" 0 \
      "no failed uninstrumented call"
    expect_fields totals failed_allocations=3 overwritten_blocks=0
    [[ $mode == full ]] && expect_fields totals unmatched_frees=0 live_blocks.value=1
    json_check "run_${opt}_$mode.json"
  done
done
echo "hostile new_handler: all checks passed"
