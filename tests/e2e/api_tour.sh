#!/usr/bin/env bash
# examples/api_tour.c, which uses every call of include/memscope.h: two sessions in two
# files with exact counts, a thread left out, long thread names.
# Usage: api_tour.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
run_profiled --files 2 "$work/out" "$program"
expect_line "$work/out.stdout" '^api_tour: 65537 allocations so far, about [0-9.]+ MiB live$' "snapshot"
expect_line "$work/out.stdout" '^api_tour: tracing is off$' "stopped"
first=$(printf '%s\n' "${profiles[@]}" | grep -v '\.2\.msgpack$') || fail "no file for session 1"
second=$(printf '%s\n' "${profiles[@]}" | grep '\.2\.msgpack$') || fail "no file for session 2"

# Session 1: the table (65536 + 1 calloc), 7 traced workers x (malloc + strdup) x 20000.
merge_to_json "$work/s1.json" "$first"
expect_json totals.allocations 345537 "session 1 allocations"
expect_json totals.frees 345537 "session 1 frees"
expect_json 'count(processes.0.threads)' 8 "main and 7 traced workers"
for i in 1 2 3 4 5 6 7; do
  expect_fields "processes.0.threads[name=request-worker-$i].counts" allocations=40000 frees=40000
done
expect_json 'count(processes.0.threads[?name~request-worker-0$])' 0 "worker 0 turned tracing off but is listed"
json_check "$work/s1.json"

# Session 2: its own file, counts from zero.
merge_to_json "$work/s2.json" "$second"
expect_json totals.allocations 1000 "session 2 allocations"
expect_json totals.bytes_allocated 1024000 "session 2 bytes"
json_check "$work/s2.json"
echo "e2e api_tour: all checks passed"
