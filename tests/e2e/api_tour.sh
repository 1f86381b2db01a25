#!/usr/bin/env bash
# examples/api_tour.c, which uses every call of include/memscope.h: two sessions in two
# files with exact counts, a thread left out, long thread names.
# Usage: api_tour.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work/out"
MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the program wrote to stderr: $(cat "$work/stderr")"
expect_line "$work/stdout" '^api_tour: 65537 allocations so far, about [0-9.]+ MiB live$' "snapshot"
expect_line "$work/stdout" '^api_tour: tracing is off$' "stopped"
first=$(ls "$work"/out/memscope.api_tour.*.msgpack | grep -v '\.2\.msgpack$')
second=$(ls "$work"/out/memscope.api_tour.*.2.msgpack)

# Session 1: the table (65536 + 1 calloc), 7 traced workers x (malloc + strdup) x 20000.
"$merge" "$first" >"$work/s1" || fail "merge of session 1"
section "$work/s1" "Totals" >"$work/t1"
expect_line "$work/t1" '^  allocations +345537$' "session 1 allocations"
expect_line "$work/t1" '^  frees +345537$' "session 1 frees"
section "$work/s1" "Threads (allocations, frees, bytes)" | tail -n +2 >"$work/th1"
expect_eq "$(wc -l <"$work/th1")" 8 "main and 7 traced workers"
for i in 1 2 3 4 5 6 7; do
  expect_line "$work/th1" " +40000 +40000 +.* request-worker-$i$" "worker $i, named in full"
done
grep -q 'request-worker-0$' "$work/th1" && fail "worker 0 turned tracing off but is listed"

# Session 2: its own file, counts from zero.
"$merge" "$second" >"$work/s2" || fail "merge of session 2"
section "$work/s2" "Totals" >"$work/t2"
expect_line "$work/t2" '^  allocations +1000$' "session 2 allocations"
expect_line "$work/t2" '^  bytes allocated +1024000$' "session 2 bytes"
echo "e2e api_tour: all checks passed"
