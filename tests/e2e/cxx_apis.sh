#!/usr/bin/env bash
# C++ operator new/delete in every form, compiled with the plugin: run, merge, and check
# each site's calls and bytes against what programs/cxx_apis.cpp did; a throwing new
# still reaches the program's handler, a nothrow new still returns null.
# Usage: cxx_apis.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

run_and_merge "$work/run" MEMSCOPE_MODE=full "$program"
expect_line "$work/run.stdout" '^nothrow new: null$' "nothrow new returns null"
expect_line "$work/run.stdout" '^caught bad_alloc$' "bad_alloc reaches the handler"

expect_fields totals estimated=false allocations=215 failed_allocations=1 frees=215 \
  unmatched_frees=0 bytes_allocated=10060 bytes_freed.value=10060 live_blocks.value=0

# calls bytes api function marker: the one site with that api at the line that ends in
# "// site:MARKER".
check() {
  local line
  line=$(awk -v m="// site:$5" 'substr($0, length($0) - length(m) + 1) == m {print NR; exit}' "$source")
  [[ -n $line ]] || fail "marker 'site:$5' not found in $source"
  expect_site "at=cxx_apis.cpp:$line" "$1" "$2" "$3" "$4" "site $5"
}
check 100 1600 new main new
check 100 1600 delete main delete
check 50 500 'new[]' main 'new[]'
check 50 500 'delete[]' main 'delete[]'
check 20 2560 new main new-aligned
check 20 2560 delete main delete-aligned
check 5 1280 'new[]' main 'new[]-aligned'
check 5 1280 'delete[]' main 'delete[]-aligned'
check 30 120 new main new-nothrow
check 30 120 delete main delete-nothrow
# std::allocator<int>: the site is in the library header, where operator new is called;
# its function is qualified (std::__new_allocator<int>::allocate with GCC 12's headers).
allocator='frames.0.file~/new_allocator\.h$,frames.0.line>0'
for pair in new:allocate delete:deallocate; do
  api=${pair%%:*} fn=${pair#*:}
  expect_json "sites[$allocator,api=$api].calls" 10 "allocator's $api: calls"
  expect_json "sites[$allocator,api=$api].bytes" 4000 "allocator's $api: bytes"
  expect_json "sites[$allocator,api=$api].frames.0.function" "~" "^std::(__)?new_allocator<int>::$fn\$" \
    "allocator's $api: function, qualified"
done
expect_json 'count(sites[?calls>0])' 12 "sites with calls"
json_check "$work/run.json"
echo "e2e cxx_apis: all checks passed"
