#!/usr/bin/env bash
# C++ operator new/delete in every form, compiled with the plugin: run, merge, and check
# each site's calls and bytes against what programs/cxx_apis.cpp did; a throwing new
# still reaches the program's handler, a nothrow new still returns null.
# Usage: cxx_apis.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work/out"

MEMSCOPE_MODE=full MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr" ||
  fail "the program failed: $(cat "$work/stderr")"
[[ -s "$work/stderr" ]] && fail "the profiled program wrote to stderr: $(cat "$work/stderr")"
expect_line "$work/stdout" '^nothrow new: null$' "nothrow new returns null"
expect_line "$work/stdout" '^caught bad_alloc$' "bad_alloc reaches the handler"
files=("$work"/out/memscope.cxx_apis.*.msgpack)
expect_eq "${#files[@]}" 1 "one output file"
"$merge" --top 0 "${files[0]}" >"$work/summary" 2>"$work/merge.stderr" ||
  fail "merge failed: $(cat "$work/merge.stderr")"

section "$work/summary" "Totals" >"$work/totals"
for kv in "allocations 215" "failed allocations 1" "frees 215" "unmatched frees 0" \
          "bytes allocated 10060" "bytes freed 10060" "live blocks at exit 0"; do
  expect_line "$work/totals" "^  ${kv% *} +${kv##* }$" "total '$kv'"
done

loc() { echo ".*/cxx_apis\\.cpp:$(grep -n -E -- "// site:$1\$" "$source" | head -1 | cut -d: -f1):[0-9]+"; }
section "$work/summary" "Top sites by calls" | tail -n +2 >"$work/by_calls"
check() {
  expect_line "$work/by_calls" "^ +$1 +$2 +$3 +$4 +$(loc "$5")$" "site $5"
}
check 100 1600 new main new
check 100 1600 delete main delete
check 50 500 'new\[\]' main 'new\[\]'
check 50 500 'delete\[\]' main 'delete\[\]'
check 20 2560 new main new-aligned
check 20 2560 delete main delete-aligned
check 5 1280 'new\[\]' main 'new\[\]-aligned'
check 5 1280 'delete\[\]' main 'delete\[\]-aligned'
check 30 120 new main new-nothrow
check 30 120 delete main delete-nothrow
# std::allocator<int>: the site is in the library header, where operator new is called.
expect_line "$work/by_calls" "^ +10 +4000 +new +allocate +.*new_allocator\\.h:[0-9]+:[0-9]+$" "allocator's new"
expect_line "$work/by_calls" "^ +10 +4000 +delete +deallocate +.*new_allocator\\.h:[0-9]+:[0-9]+$" "allocator's delete"
expect_eq "$(wc -l <"$work/by_calls")" 12 "sites with calls"
echo "e2e cxx_apis: all checks passed"
